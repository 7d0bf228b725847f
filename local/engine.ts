// The offline engine behind `npm start`: the standalone app (convex/) — or an app that installed the package, such as
// examples/react-app (`--app`) — mounting the gateway component, served by convex-test with indexed reads (local/indexedReads.ts);
// local/store.ts keeps its state across restarts (snapshot + journal, same document IDs).
import { convexTest } from "convex-test";
import type { FunctionReference, UserIdentity } from "convex/server";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { asComponent, register, type GatewayTest } from "../src/test";
import { enableIndexedReads } from "./indexedReads";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function listModules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listModules(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

// convex-test calls a module's loader on every function call (router, each runQuery / runMutation). A dynamic
// import() of an already loaded module still goes through the loader hooks (a round trip to tsx's loader
// thread, ~0.3 ms), so each loader keeps its first promise: a module is loaded once per process, like once per
// isolate in a deployment. A failed load is not kept (the next call retries).
function loadOnce(href: string): () => Promise<unknown> {
  let loaded: Promise<unknown> | undefined;
  return () => {
    if (!loaded) {
      loaded = import(href);
      loaded.catch(() => (loaded = undefined));
    }
    return loaded;
  };
}

function modulesOf(dir: string): Record<string, () => Promise<unknown>> {
  const modules: Record<string, () => Promise<unknown>> = {};
  for (const file of listModules(dir)) modules[file] = loadOnce(pathToFileURL(file).href);
  return modules;
}

/**
 * Which app the engine serves. Default: this repository's standalone app (convex/) with the component from
 * src/component. `appDir` (e.g. examples/react-app): that app's convex/ with the component from the package it
 * installed (node_modules/convex-sso-gateway, resolved through the package's exports map, as `npx convex dev`
 * would bundle it), and the app's schema.
 */
export interface EngineApp {
  appDir?: string;
}

interface EngineSources {
  app: Record<string, () => Promise<unknown>>;
  component: Record<string, () => Promise<unknown>>;
  /** Files whose default export is the schema (undefined: the app has none / the component's own src schema). */
  appSchemaFile?: string;
  componentSchemaFile?: string;
}

/**
 * Where an app's installed package keeps the component's sources: the `@convex-dev/component-source` condition of
 * its `./convex.config` export (src/component), the one `npx convex dev` bundles a component from.
 */
export function installedComponentDir(appDir: string): string {
  const pkgFile = join(resolve(appDir), "node_modules", "convex-sso-gateway", "package.json");
  if (!existsSync(pkgFile)) throw new Error(`${appDir}: convex-sso-gateway is not installed there (run \`npm run example:install\`)`);
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports?: Record<string, Record<string, string> | string> };
  const entry = pkg.exports?.["./convex.config"];
  const source = typeof entry === "object" ? entry["@convex-dev/component-source"] : undefined;
  if (!source) throw new Error(`${pkgFile}: no "@convex-dev/component-source" export for ./convex.config`);
  return dirname(join(dirname(pkgFile), source));
}

function schemaFileIn(dir: string): string | undefined {
  return ["schema.ts", "schema.js"].map((f) => join(dir, f)).find((f) => existsSync(f));
}

/** The modules maps convex-test wants (what `import.meta.glob` gives it under vitest): the app and the component. */
export function engineModules(opts: EngineApp = {}): EngineSources {
  const appDir = opts.appDir ? resolve(opts.appDir) : ROOT;
  const componentDir = opts.appDir ? installedComponentDir(appDir) : join(ROOT, "src", "component");
  const component = modulesOf(componentDir);
  // Local-only modules, mounted as if they were in the component (never deployed).
  component[join(componentDir, "localDev.ts")] = loadOnce(pathToFileURL(join(ROOT, "local/convex/localDev.ts")).href);
  const convexDir = join(appDir, "convex");
  if (!existsSync(join(convexDir, "_generated"))) throw new Error(`${convexDir}/_generated is missing (run \`npx convex codegen --system-udfs\` there)`);
  return {
    app: modulesOf(convexDir),
    component,
    appSchemaFile: opts.appDir ? schemaFileIn(convexDir) : undefined,
    componentSchemaFile: opts.appDir ? schemaFileIn(componentDir) : undefined,
  };
}

async function defaultExport(file: string | undefined): Promise<any> {
  return file ? ((await import(pathToFileURL(file).href)) as { default: unknown }).default : undefined;
}

/** The app with the gateway component registered; run/query/mutation act in the component. */
async function newEngine(opts: EngineApp): Promise<GatewayTest> {
  const modules = engineModules(opts);
  const app = convexTest({ schema: await defaultExport(modules.appSchemaFile), modules: modules.app });
  const componentSchema = await defaultExport(modules.componentSchemaFile);
  if (componentSchema) app.registerComponent("ssoGateway", componentSchema, modules.component);
  else register(app, "ssoGateway", modules.component);
  const engine = asComponent(app);
  appAccessors.set(engine, app);
  return engine;
}

const appAccessors = new WeakMap<object, AppAccessor>();
type AppRunner = Record<"query" | "mutation" | "action", (ref: FunctionReference<any, any>, args: Record<string, unknown>) => Promise<any>>;
export type AppAccessor = AppRunner & { withIdentity(identity: Partial<UserIdentity>): AppRunner };

/** The engine as the app's clients see it: `query` / `mutation` / `action` of the app's own functions (not the component's). */
export function appAccessor(engine: Engine): AppAccessor {
  const app = appAccessors.get(engine);
  if (!app) throw new Error("not an engine made by createEngine");
  return app;
}
export type Engine = GatewayTest;

/** convex-test over the app and the component, with indexed reads (local/indexedReads.ts) instead of a table scan per query. */
export async function createEngine(opts: EngineApp = {}): Promise<Engine> {
  const t = await newEngine(opts);
  await enableIndexedReads(t);
  return t;
}
