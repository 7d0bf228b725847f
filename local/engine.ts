// The offline engine behind `npm start`: convex/ served by convex-test, plus a JSON data file so that state
// survives a restart. Document IDs are restored exactly (same IDs, so tokens' `sub`/`sid` stay valid).
import { convexTest } from "convex-test";
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import schema from "../src/component/schema";
import { asComponent, register } from "../src/test";

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
export function createEngine() {
  const modules = engineModules();
  const app = convexTest({ modules: modules.app });
  register(app, "ssoGateway", modules.component);
  return asComponent(app);
}
export type Engine = ReturnType<typeof createEngine>;

const TABLES = Object.keys(schema.tables);

type SavedDoc = Record<string, unknown> & { _id: string; _creationTime: number };
interface SavedState {
  version: 1;
  tables: Record<string, SavedDoc[]>;
}

export async function dumpState(t: Engine): Promise<SavedState> {
  return t.run(async (ctx) => {
    const tables: Record<string, SavedDoc[]> = {};
    for (const table of TABLES) tables[table] = (await ctx.db.query(table as any).collect()) as SavedDoc[];
    return { version: 1 as const, tables };
  });
}

export function saveState(state: SavedState, file: string) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

/**
 * Re-insert saved documents so that each gets its old ID back. convex-test numbers documents with one counter
 * across tables (counter + table name); replaying inserts in counter order, with throw-away fillers where a
 * document was deleted, lands every document on its old number. Must run on a fresh engine.
 */
export async function restoreState(t: Engine, file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  const state = JSON.parse(readFileSync(file, "utf8")) as SavedState;
  const rows: Array<{ table: string; counter: number; doc: SavedDoc }> = [];
  for (const [table, docs] of Object.entries(state.tables)) {
    if (!TABLES.includes(table)) continue; // a table that no longer exists
    for (const doc of docs) rows.push({ table, counter: Number(doc._id.slice(0, doc._id.length - table.length)), doc });
  }
  rows.sort((a, b) => a.counter - b.counter);
  await t.run(async (ctx) => {
    const fillers: Array<{ table: string; id: string }> = [];
    let next = 10000;
    for (const { table, counter, doc } of rows) {
      const { _id, _creationTime, ...fields } = doc;
      while (next < counter) {
        fillers.push({ table, id: await ctx.db.insert(table as any, fields as any) });
        next++;
      }
      const id = await ctx.db.insert(table as any, fields as any);
      next++;
      if (id !== _id) throw new Error(`restore: expected ${_id}, got ${id} — start with a fresh data file`);
    }
    for (const f of fillers) await ctx.db.delete(f.id as any);
  });
  return rows.length;
}
