// The offline engine behind `npm start`: the standalone app (convex/) mounting the gateway component, served by convex-test with indexed reads (local/indexedReads.ts);
// local/store.ts keeps its state across restarts (snapshot + journal, same document IDs).
import { convexTest } from "convex-test";
import { readdirSync, statSync } from "node:fs";
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

/** The modules maps convex-test wants (what `import.meta.glob` gives it under vitest): the app and the component. */
export function engineModules() {
  const componentDir = join(ROOT, "src", "component");
  const component = modulesOf(componentDir);
  // Local-only modules, mounted as if they were in the component (never deployed).
  component[join(componentDir, "localDev.ts")] = loadOnce(pathToFileURL(join(ROOT, "local/convex/localDev.ts")).href);
  return { app: modulesOf(join(ROOT, "convex")), component };
}

/** The standalone app (convex/) with the gateway component registered; run/query/mutation act in the component. */
function newEngine(): GatewayTest {
  const modules = engineModules();
  const app = convexTest({ modules: modules.app });
  register(app, "ssoGateway", modules.component);
  return asComponent(app);
}
export type Engine = ReturnType<typeof newEngine>;

/** convex-test over the app and the component, with indexed reads (local/indexedReads.ts) instead of a table scan per query. */
export async function createEngine(): Promise<Engine> {
  const t = newEngine();
  await enableIndexedReads(t);
  return t;
}
