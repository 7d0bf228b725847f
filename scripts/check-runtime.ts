// The runtime-split check (DESIGN.md): bundle every Convex module that is not "use node" the way the Convex
// CLI bundles for its default runtime — esbuild, platform browser, conditions convex + module — and fail on
// any Node built-in anywhere in its import graph. convex-test runs everything in Node, so only this catches it.
// For the component's modules (src/component) it also fails on any read of `process.env` or `ctx.auth` in our
// own source anywhere in their import graph: a component sees neither on a deployment (convex-test shows both).
import { build, transform, type Metafile } from "esbuild";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative, resolve, sep } from "node:path";
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

interface Bundled {
  /** Node built-ins the module's graph imports, with the importer. */
  builtins: string[];
  /** esbuild's errors (an import that does not resolve in the default runtime). */
  errors: string[];
  /** Every source file of the graph (absolute paths), node_modules included. */
  inputs: string[];
}

const bundles = new Map<string, Promise<Bundled>>();
const bundleKey = (file: string, root: string) => `${root}\0${file}`;

/**
 * One esbuild run as the Convex CLI bundles for the default runtime (platform browser, conditions convex + module),
 * Node built-ins kept external and reported to `onBuiltin` with the file that imports them.
 */
function buildForDefaultRuntime(entryPoints: string[], root: string, onBuiltin: (builtin: string, importer: string) => void) {
  return build({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    ...(entryPoints.length > 1 ? { outdir: join(root, ".runtime-check") } : {}),
    absWorkingDir: root,
    platform: "browser",
    format: "esm",
    conditions: ["convex", "module"],
    logLevel: "silent",
    plugins: [
      {
        name: "node-builtins",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (!NODE_BUILTINS.has(args.path)) return undefined;
            onBuiltin(args.path, resolve(root, args.importer));
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
}

/** Bundles one module as the Convex CLI does for the default runtime (once per process: both checks read it). */
function bundle(file: string, root: string): Promise<Bundled> {
  const key = bundleKey(file, root);
  let made = bundles.get(key);
  if (!made) bundles.set(key, (made = bundleOnce(file, root)));
  return made;
}

async function bundleOnce(file: string, root: string): Promise<Bundled> {
  const builtins: string[] = [];
  try {
    const result = await buildForDefaultRuntime([file], root, (builtin, importer) => builtins.push(`${builtin} (imported by ${relative(root, importer)})`));
    const inputs = Object.keys((result.metafile as Metafile).inputs).map((p) => resolve(root, p));
    return { builtins, errors: [], inputs };
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string }> }).errors ?? [{ text: String(err) }];
    return { builtins, errors: errors.map((e) => e.text), inputs: [] };
  }
}

/**
 * Bundles many modules in one esbuild run (it parses each shared file once: ~10× faster than one run per module)
 * and keeps each module's result, as `bundle` would give it. An import that does not resolve fails the whole
 * run: then nothing is kept, and `bundle` builds the modules one by one to say which module it is.
 */
async function bundleAll(files: string[], root: string): Promise<void> {
  const todo = [...new Set(files)].filter((file) => !bundles.has(bundleKey(file, root)));
  if (todo.length < 2) return;
  const importers = new Map<string, Set<string>>(); // a Node built-in → the files that import it
  try {
    const result = await buildForDefaultRuntime(todo, root, (builtin, importer) => {
      const seen = importers.get(builtin) ?? new Set<string>();
      seen.add(importer);
      importers.set(builtin, seen);
    });
    for (const output of Object.values((result.metafile as Metafile).outputs)) {
      if (!output.entryPoint) continue;
      const inputs = Object.keys(output.inputs).map((p) => resolve(root, p));
      const builtins = output.imports
        .filter((i) => i.external && NODE_BUILTINS.has(i.path))
        .map((i) => {
          const by = [...(importers.get(i.path) ?? [])].filter((f) => inputs.includes(f)).map((f) => relative(root, f));
          return `${i.path} (imported by ${by.join(", ") || "?"})`;
        });
      bundles.set(bundleKey(resolve(root, output.entryPoint), root), Promise.resolve({ builtins, errors: [], inputs }));
    }
  } catch {
    // Left to `bundle`, one module at a time, which attributes the error.
  }
}

export async function checkRuntimeSplit(files: string[], root = process.cwd()): Promise<RuntimeViolation[]> {
  const violations: RuntimeViolation[] = [];
  await bundleAll(files.filter((file) => !isUseNode(readFileSync(file, "utf8"))), root);
  for (const file of files) {
    if (isUseNode(readFileSync(file, "utf8"))) continue;
    const { builtins, errors } = await bundle(file, root);
    for (const e of errors) violations.push({ module: relative(root, file), problem: e });
    for (const f of builtins) violations.push({ module: relative(root, file), problem: `Node built-in ${f}` });
  }
  return violations;
}

// What a component cannot read, looked for in the code with comments and types stripped.
const COMPONENT_FORBIDDEN: Array<{ pattern: RegExp; what: string }> = [
  { pattern: /\bprocess\s*(?:\?\.|\.)\s*env\b|\bprocess\s*(?:\?\.)?\[\s*["'`]env["'`]\s*\]/, what: "reads process.env" },
  { pattern: /\bctx\s*(?:\?\.|\.)\s*auth\b|\.\s*getUserIdentity\b|\{[^{}]*\bauth\b[^{}]*\}\s*=\s*ctx\b/, what: "reads ctx.auth" },
];

const scanned = new Map<string, string[]>();

/** The forbidden reads in one source file (cached: many modules share a file). */
async function forbiddenReads(path: string): Promise<string[]> {
  const known = scanned.get(path);
  if (known) return known;
  const loader = /\.tsx?$/.test(path) ? (path.endsWith("x") ? "tsx" : "ts") : "js";
  const { code } = await transform(readFileSync(path, "utf8"), { loader, legalComments: "none" });
  const found = COMPONENT_FORBIDDEN.filter((f) => f.pattern.test(code)).map((f) => f.what);
  scanned.set(path, found);
  return found;
}

/**
 * Fails on any module under src/component whose import graph reaches our own code (not node_modules) that reads
 * `process.env` or `ctx.auth`: on a deployment a component sees neither (the app passes the env: src/gateway).
 */
export async function checkComponentIsolation(files: string[], root = process.cwd()): Promise<RuntimeViolation[]> {
  const violations: RuntimeViolation[] = [];
  await bundleAll(files, root);
  for (const file of files) {
    const { inputs } = await bundle(file, root);
    for (const input of inputs.length ? inputs : [file]) {
      if (input.split(sep).includes("node_modules")) continue;
      for (const what of await forbiddenReads(input)) {
        const where = input === file ? "" : ` (in ${relative(root, input)}, which it imports)`;
        violations.push({ module: relative(root, file), problem: `${what}${where}: a component sees neither process.env nor ctx.auth; take it from the env the app passes (src/component/lib/env.ts)` });
      }
    }
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
  const violations = [...(await checkRuntimeSplit(files, root)), ...(await checkComponentIsolation(componentFiles, root))];
  // Convex refuses "use node" modules inside a component: those live app-side (src/gateway/saml, convex/samlNode.ts).
  for (const f of componentFiles) {
    if (isUseNode(readFileSync(f, "utf8"))) violations.push({ module: relative(root, f), problem: '"use node" is not supported inside a component' });
  }
  const checked = files.filter((f) => !isUseNode(readFileSync(f, "utf8"))).length;
  if (violations.length) {
    console.error(`runtime split: ${violations.length} problem(s) in modules that run in Convex's default runtime:`);
    for (const v of violations) console.error(`  ${v.module}: ${v.problem}`);
    console.error('Move Node-only code behind a "use node" internal action (DESIGN.md, "The runtime split"); give the component what it');
    console.error("reads from process.env through the env the app passes (src/gateway/env.ts → src/component/lib/env.ts).");
    process.exit(1);
  }
  console.log(`runtime split: ${checked} default-runtime modules bundle for the browser platform with no Node built-in (${files.length - checked} "use node").`);
  console.log(`component isolation: ${componentFiles.length} component modules, and what they import, read neither process.env nor ctx.auth.`);
}
