// The runtime-split checker must catch what convex-test cannot: a Node built-in reached from a module that
// runs in Convex's default runtime, directly or through a dependency.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkRuntimeSplit, isUseNode } from "../../scripts/check-runtime";

function modules(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(process.cwd(), "node_modules/.runtime-check-"));
  return Object.entries(files).map(([name, body]) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  });
}

describe("runtime-split check", () => {
  test("flags node: imports, bare built-ins and Node-only dependencies", async () => {
    const files = modules({
      "a.ts": 'import { createHash } from "node:crypto"; export const x = createHash;',
      "b.ts": 'import zlib from "zlib"; export const y = zlib;',
      "c.ts": 'import { SAML } from "@node-saml/node-saml"; export const z = SAML;',
    });
    const v = await checkRuntimeSplit(files, tmpdir());
    const byModule = new Set(v.map((x) => x.module.split("/").pop()));
    expect(byModule).toEqual(new Set(["a.ts", "b.ts", "c.ts"]));
  });

  test("passes Web-API code and skips \"use node\" modules", async () => {
    const files = modules({
      "ok.ts": 'import { SignJWT } from "jose"; export const s = SignJWT;',
      "node.ts": '// comment first\n"use node";\nimport { createHash } from "node:crypto"; export const h = createHash;',
    });
    expect(await checkRuntimeSplit(files)).toEqual([]);
    expect(isUseNode('/* x */\n"use node";')).toBe(true);
    expect(isUseNode('const a = "use node";')).toBe(false);
  });
});
