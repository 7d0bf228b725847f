// The runtime-split checker must catch what convex-test cannot: a Node built-in reached from a module that
// runs in Convex's default runtime, directly or through a dependency.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkComponentIsolation, checkRuntimeSplit, isUseNode } from "../../scripts/check-runtime";

function modules(files: Record<string, string>, dir = mkdtempSync(join(process.cwd(), "node_modules/.runtime-check-"))): string[] {
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

// Issue 10: a component sees no process.env and no ctx.auth on a deployment, while convex-test shows it both.
// Planted modules live outside node_modules (whose code the isolation check leaves to its authors).
const planted = (files: Record<string, string>) => modules(files, mkdtempSync(join(tmpdir(), "component-check-")));

describe("component isolation check", () => {
  test("flags a planted process.env or ctx.auth read, directly or through an import, and only those", async () => {
    const [env, bracket, auth, destructured, viaImport, , clean] = planted({
      "env.ts": "export const key = () => process.env.GATEWAY_SIGNING_KEYS;",
      "bracket.ts": 'export const key = () => process["env"].X;',
      "auth.ts": "export const who = async (ctx: any) => ctx.auth.getUserIdentity();",
      "destructured.ts": "export const who = async (ctx: any) => { const { auth } = ctx; return auth; };",
      "viaImport.ts": 'import { timeout } from "./helper"; export const t = timeout;',
      "helper.ts": "export const timeout = Number(process.env.GATEWAY_OIDC_TIMEOUT_MS);",
      "clean.ts": "// process.env is not read here, nor ctx.auth: comments do not count\nexport const site = (env: { issuer: string }) => env.issuer;",
    });
    const found = await checkComponentIsolation([env!, bracket!, auth!, destructured!, viaImport!, clean!], tmpdir());
    const byModule = (name: string) => found.filter((f) => f.module.endsWith(name)).map((f) => f.problem);
    expect(byModule("env.ts")).toEqual([expect.stringMatching(/^reads process\.env:/)]);
    expect(byModule("bracket.ts")).toEqual([expect.stringMatching(/^reads process\.env:/)]);
    expect(byModule("auth.ts")).toEqual([expect.stringMatching(/^reads ctx\.auth:/)]);
    expect(byModule("destructured.ts")).toEqual([expect.stringMatching(/^reads ctx\.auth:/)]);
    expect(byModule("viaImport.ts")).toEqual([expect.stringMatching(/^reads process\.env \(in .*helper\.ts, which it imports\)/)]);
    expect(byModule("clean.ts")).toEqual([]);
  });
});
