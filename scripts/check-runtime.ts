// The runtime-split check (DESIGN.md): bundle every Convex module that is not "use node" the way the Convex
// CLI bundles for its default runtime — esbuild, platform browser, conditions convex + module — and fail on
// any Node built-in anywhere in its import graph. convex-test runs everything in Node, so only this catches it.
import { build } from "esbuild";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export function isUseNode(source: string): boolean {
  // The directive must be the first statement (comments and blank lines may precede it).
  const stripped = source.replace(/^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, "");
  return /^["']use node["'];?/.test(stripped);
}

export function convexModules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "_generated" || name === "node_modules") continue;
    if (statSync(path).isDirectory()) out.push(...convexModules(path));
    else if (/\.(ts|js|mts|mjs)$/.test(name) && !name.endsWith(".d.ts") && !name.includes(".test.")) out.push(path);
  }
  return out;
}

export interface RuntimeViolation {
  module: string;
  problem: string;
}

export async function checkRuntimeSplit(files: string[], root = process.cwd()): Promise<RuntimeViolation[]> {
  const violations: RuntimeViolation[] = [];
  for (const file of files) {
    if (isUseNode(readFileSync(file, "utf8"))) continue;
    const found: string[] = [];
    try {
      await build({
        entryPoints: [file],
        bundle: true,
        write: false,
        platform: "browser",
        format: "esm",
        conditions: ["convex", "module"],
        logLevel: "silent",
        plugins: [
          {
            name: "node-builtins",
            setup(b) {
              b.onResolve({ filter: /.*/ }, (args) => {
                if (NODE_BUILTINS.has(args.path)) {
                  found.push(`${args.path} (imported by ${relative(root, args.importer)})`);
                  return { path: args.path, external: true };
                }
                return undefined;
              });
            },
          },
        ],
      });
    } catch (err) {
      const errors = (err as { errors?: Array<{ text: string }> }).errors ?? [{ text: String(err) }];
      for (const e of errors) violations.push({ module: relative(root, file), problem: e.text });
    }
    for (const f of found) violations.push({ module: relative(root, file), problem: `Node built-in ${f}` });
  }
  return violations;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.cwd();
  // The standalone app, the component, and the app-side gateway code every app bundles (src/gateway, src/server).
  const componentFiles = convexModules(join(root, "src", "component"));
  // And the example app's convex/, bundled against the package it installed from the tarball (npm run example:install;
  // `npm test` runs it first).
  const exampleInstalled = existsSync(join(root, "examples", "react-app", "node_modules", "convex-sso-gateway", "package.json"));
  if (!exampleInstalled) console.warn("runtime split: examples/react-app skipped (run `npm run example:install` first)");
  const files = [
    ...convexModules(join(root, "convex")),
    ...componentFiles,
    ...convexModules(join(root, "src", "gateway")),
    ...convexModules(join(root, "src", "server")),
    ...(exampleInstalled ? convexModules(join(root, "examples", "react-app", "convex")) : []),
  ];
  const violations = await checkRuntimeSplit(files, root);
  // Convex refuses "use node" modules inside a component: those live app-side (src/gateway/saml, convex/samlNode.ts).
  for (const f of componentFiles) {
    if (isUseNode(readFileSync(f, "utf8"))) violations.push({ module: relative(root, f), problem: '"use node" is not supported inside a component' });
  }
  const checked = files.filter((f) => !isUseNode(readFileSync(f, "utf8"))).length;
  if (violations.length) {
    console.error(`runtime split: ${violations.length} problem(s) in modules that run in Convex's default runtime:`);
    for (const v of violations) console.error(`  ${v.module}: ${v.problem}`);
    console.error('Move Node-only code behind a "use node" internal action (DESIGN.md, "The runtime split").');
    process.exit(1);
  }
  console.log(`runtime split: ${checked} default-runtime modules bundle for the browser platform with no Node built-in (${files.length - checked} "use node").`);
}
