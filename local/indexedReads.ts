// Indexed reads for convex-test's in-memory engine (issue 13).
//
// convex-test's DatabaseFake answers every query by visiting every row of the table (`_iterateDocs`), then
// filtering by the index range and sorting. That is exact but O(n) per query: at 100k SCIM users a `userName eq`
// lookup costs ~640 ms of CPU. This module keeps, per database (the app's and each registered component's), per
// table and per index (schema indexes plus `by_creation_time` and `by_id`), a B+ tree of the committed documents
// keyed by the index fields + `_creationTime` + `_id` — the order convex-test sorts by — and answers a query's
// rows from a seek into that tree, merged with the transaction's own pending writes.
//
// What stays convex-test's own: the answer. We only choose which documents reach convex-test's
// `_resolveQuerySource` (by replacing `_iterateDocs` while it runs): it still applies the index range, the
// ordering, the `.filter` operators, `.take` limits, cursors and page splits, and its syscall layer still counts
// reads and enforces transaction limits on what is returned. We hand it every document of the range up to the
// point where its answer is decided (the limit's last match, the page's last row plus one), so the result is the
// same as a full scan; test/foundation/indexedReads.test.ts checks that against an unpatched engine with random
// write/query sequences.
//
// Consistency: the trees hold committed documents only and are updated in `commit` of the outermost transaction
// (nested commits and rollbacks only touch convex-test's pending-write levels, which we read through `get`), so
// a failed transaction leaves them exact without any undo of ours. A database's trees are built on its first
// indexed query, in one pass over the committed documents, and kept in step from then on.
//
// The class is not exported by convex-test; we find its prototype through a live engine (see `findDatabases`)
// and patch it once per process, so every engine and every component database of the process is indexed.
// Search and vector queries keep convex-test's scan.
import BTreeModule from "sorted-btree";
import { compareValues, jsonToConvex, type Value } from "convex/values";

// sorted-btree is CommonJS with a `default` export: Node's ESM loader hands us module.exports, vite the default.
const BTree = ((BTreeModule as unknown as { default?: typeof BTreeModule }).default ?? BTreeModule) as typeof BTreeModule;
type BTree<K, V> = BTreeModule<K, V>;

type Doc = Record<string, Value | undefined> & { _id: string; _creationTime: number };
type Key = unknown[];
type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: unknown };
type Source =
  | { type: "FullTableScan"; tableName: string; order?: "asc" | "desc" | null }
  | { type: "IndexRange"; indexName: string; range: RangeExpr[]; order?: "asc" | "desc" | null }
  | { type: "Search" };
type Query = { source: Source; operators: Array<{ filter?: unknown; limit?: number }> };
type PaginateArgs = { query: Query; cursor: string | null; endCursor?: string | null; pageSize: number; maximumRowsRead?: number; maximumBytesRead?: number };

/** The parts of convex-test's DatabaseFake we build on (0.0.60). */
export interface DatabaseFake {
  _documents: Record<string, Doc>;
  _writes: Array<Record<string, Doc | null>>;
  _schema: { tables: Map<string, { indexes: Array<{ indexDescriptor: string; fields: string[] }> }> } | null;
  get(table: string | undefined, id: string): Doc | null;
  commit(commitTs?: bigint | null): void;
  paginate(args: PaginateArgs): unknown;
  _iterateDocs(table: string, callback: (doc: Doc) => void): void;
  _resolveQuerySource(query: Query): { sortedDocs: Doc[]; filterFn: (doc: Doc) => boolean; limit: number | null; order: "asc" | "desc" };
  [STATE]?: Map<string, TableIndexes>;
  [SCAN]?: boolean;
  [CANDIDATES]?: { table: string; docs: Doc[] };
  [LISTENERS]?: Array<(writes: CommittedWrite[]) => void>;
  _componentPath: string;
  _nextDocId: number;
  _lastCreationTime: number;
}
/** A document as committed by the outermost transaction (`null`: deleted). */
export type CommittedWrite = readonly [id: string, doc: Doc | null];

const STATE = Symbol("indexedReads.state");
const SCAN = Symbol("indexedReads.scan");
const CANDIDATES = Symbol("indexedReads.candidates");
const PATCHED = Symbol("indexedReads.patched");
const LISTENERS = Symbol("indexedReads.listeners");

/** Sorts after every value: `[a, MAX]` is past every key that starts with `a`. */
const MAX = Symbol("max");

// Index keys compare field by field with Convex's value order; a key that is a prefix of another sorts first,
// so `[a]` seeks to the first key starting with `a`.
function compareKeys(a: Key, b: Key): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === MAX || y === MAX) {
      if (x === y) continue;
      return x === MAX ? 1 : -1;
    }
    // Fast paths with the same answer as compareValues (equal strings; numbers other than NaN and ±0).
    if (typeof x === "string" && typeof y === "string") {
      if (x === y) continue;
      // Below the surrogates UTF-16 code units order like UTF-8 bytes (Convex's string order).
      const n = Math.min(x.length, y.length);
      let i = 0;
      while (i < n && x.charCodeAt(i) === y.charCodeAt(i)) i++;
      if (i === n) return x.length - y.length;
      const cx = x.charCodeAt(i);
      const cy = y.charCodeAt(i);
      if (cx < 0xd800 && cy < 0xd800) return cx - cy;
    }
    if (typeof x === "number" && typeof y === "number") {
      if (x < y) return -1;
      if (x > y) return 1;
      if (x === y && x !== 0) continue;
    }
    const c = compareValues(x as Value, y as Value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// convex-test's evaluateFieldPath, without pending commit-timestamp placeholders (committed rows have none).
function fieldValue(doc: unknown, path: string): unknown {
  let v = doc;
  for (const part of path.split(".")) {
    v = v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof ArrayBuffer) ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

class SortedIndex {
  readonly tree = new BTree<Key, Doc>(undefined, compareKeys);
  constructor(readonly fields: string[]) {}
  key(doc: Doc): Key {
    return this.fields.map((f) => fieldValue(doc, f));
  }
  add(doc: Doc) {
    this.tree.set(this.key(doc), doc);
  }
  remove(doc: Doc) {
    this.tree.delete(this.key(doc));
  }
}

type TableIndexes = Map<string, SortedIndex>;

function tableOf(id: string): string | null {
  const m = /^[0-9]+/.exec(id);
  return m && m[0].length < id.length ? id.slice(m[0].length) : null;
}

function indexFields(db: DatabaseFake, table: string, indexName: string): string[] | null {
  if (indexName === "by_creation_time") return ["_creationTime", "_id"];
  if (indexName === "by_id") return ["_id"];
  const index = db._schema?.tables.get(table)?.indexes.find((i) => i.indexDescriptor === indexName);
  return index ? [...index.fields, "_creationTime", "_id"] : null;
}

function newTableIndexes(db: DatabaseFake, table: string): TableIndexes {
  const indexes: TableIndexes = new Map();
  const names = ["by_creation_time", "by_id", ...(db._schema?.tables.get(table)?.indexes.map((i) => i.indexDescriptor) ?? [])];
  for (const name of names) indexes.set(name, new SortedIndex(indexFields(db, table, name)!));
  return indexes;
}

/**
 * The indexes of every table of `db`, built on the first indexed query from the committed documents in one
 * pass, then kept exact by `commit` (which also creates a table's indexes on its first committed document).
 */
function allIndexes(db: DatabaseFake): Map<string, TableIndexes> {
  let state = db[STATE];
  if (state) return state;
  state = new Map();
  for (const [id, doc] of Object.entries(db._documents)) {
    const table = tableOf(id);
    if (table === null) continue;
    let indexes = state.get(table);
    if (!indexes) state.set(table, (indexes = newTableIndexes(db, table)));
    for (const index of indexes.values()) index.add(doc);
  }
  db[STATE] = state;
  return state;
}

function tableIndexes(db: DatabaseFake, table: string): TableIndexes {
  const state = allIndexes(db);
  let indexes = state.get(table);
  if (!indexes) state.set(table, (indexes = newTableIndexes(db, table)));
  return indexes;
}

/** The seek bounds and membership test of an index range (eq prefix, then at most one lower and one upper bound). */
function rangePlan(range: RangeExpr[]) {
  const eqs: unknown[] = [];
  let lower: { value: unknown; inclusive: boolean } | null = null;
  let upper: { value: unknown; inclusive: boolean } | null = null;
  for (const r of range) {
    const value = r.value === undefined ? undefined : decode(r.value);
    if (r.type === "Eq") eqs.push(value);
    else if (r.type === "Gt" || r.type === "Gte") lower = { value, inclusive: r.type === "Gte" };
    else upper = { value, inclusive: r.type === "Lte" };
  }
  const j = eqs.length;
  const start: Key = lower ? (lower.inclusive ? [...eqs, lower.value] : [...eqs, lower.value, MAX]) : eqs;
  const end: Key = upper ? (upper.inclusive ? [...eqs, upper.value, MAX] : [...eqs, upper.value]) : [...eqs, MAX];
  const contains = (key: Key) => {
    for (let i = 0; i < j; i++) if (compareValues(key[i] as Value, eqs[i] as Value) !== 0) return false;
    if (lower) {
      const c = compareValues(key[j] as Value, lower.value as Value);
      if (c < 0 || (c === 0 && !lower.inclusive)) return false;
    }
    if (upper) {
      const c = compareValues(key[j] as Value, upper.value as Value);
      if (c > 0 || (c === 0 && !upper.inclusive)) return false;
    }
    return true;
  };
  return { start, end, contains };
}

// convex-test's evaluateQueryValue: `{ $undefined: null }` stands for undefined, the rest is JSON-encoded Convex.
function decode(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "$undefined" in value) return undefined;
  return jsonToConvex(value as any);
}

/**
 * The documents of an index range in index order, committed rows merged with this transaction's pending writes,
 * starting at `from` (a full key, inclusive) when given.
 */
function* rangeRows(db: DatabaseFake, table: string, index: SortedIndex, range: RangeExpr[], order: "asc" | "desc", from: Key | null): Generator<Doc> {
  const plan = rangePlan(range);
  const sign = order === "asc" ? 1 : -1;
  let seek = order === "asc" ? plan.start : plan.end;
  if (from && sign * compareKeys(from, seek) > 0) seek = from;
  const before = (k: Key) => sign * compareKeys(k, seek) < 0;

  // Pending writes of this table, at their newest level: they replace or hide the committed version.
  const pending = new Set<string>();
  for (const level of db._writes) for (const id of Object.keys(level)) if (tableOf(id) === table) pending.add(id);
  const overlay: Array<{ key: Key; doc: Doc }> = [];
  for (const id of pending) {
    const doc = db.get(table, id);
    if (!doc) continue;
    const key = index.key(doc);
    if (plan.contains(key) && !before(key)) overlay.push({ key, doc });
  }
  overlay.sort((a, b) => sign * compareKeys(a.key, b.key));

  const committed = order === "asc" ? index.tree.entries(seek) : index.tree.entriesReversed(seek);
  let o = 0;
  for (const [key, doc] of committed) {
    if (!plan.contains(key)) break;
    if (pending.has(doc._id)) continue;
    while (o < overlay.length && sign * compareKeys(overlay[o]!.key, key) < 0) yield overlay[o++]!.doc;
    yield doc;
  }
  while (o < overlay.length) yield overlay[o++]!.doc;
}

function parseCursor(cursor: string): Key {
  return (JSON.parse(cursor) as Array<string | null>).map((k) => (k === null ? undefined : jsonToConvex(JSON.parse(k))));
}

/** Which index (and range, order) a query reads, or null for what we leave to convex-test (search, unknown index). */
function planOf(db: DatabaseFake, query: Query) {
  const source = query.source;
  if (source.type === "FullTableScan") {
    const index = tableIndexes(db, source.tableName).get("by_creation_time")!;
    return { table: source.tableName, index, range: [] as RangeExpr[], order: source.order ?? "asc" };
  }
  if (source.type === "IndexRange") {
    const [table, indexName] = source.indexName.split(".") as [string, string];
    if (!indexFields(db, table, indexName)) return null; // convex-test throws its own error
    const index = tableIndexes(db, table).get(indexName)!;
    return { table, index, range: source.range, order: source.order ?? "asc" };
  }
  return null;
}

/** Runs convex-test's own query evaluation over the given documents instead of the whole table. */
function resolveOver<R>(db: DatabaseFake, table: string, docs: Doc[], run: () => R): R {
  db[CANDIDATES] = { table, docs };
  try {
    return run();
  } finally {
    db[CANDIDATES] = undefined;
  }
}

function patch(proto: DatabaseFake) {
  const original = {
    commit: proto.commit,
    iterateDocs: proto._iterateDocs,
    resolveQuerySource: proto._resolveQuerySource,
    paginate: proto.paginate,
  };

  proto._iterateDocs = function (this: DatabaseFake, table, callback) {
    const candidates = this[CANDIDATES];
    if (!candidates || candidates.table !== table) return original.iterateDocs.call(this, table, callback);
    for (const doc of candidates.docs) callback(doc);
  };

  proto.commit = function (this: DatabaseFake, commitTs) {
    const outermost = this._writes.length === 1;
    const writes = outermost && (this[STATE] || this[LISTENERS]) ? this._writes[0]! : null;
    const before = writes ? Object.keys(writes).map((id) => [id, this._documents[id]] as const) : [];
    original.commit.call(this, commitTs);
    if (before.length && this[LISTENERS]) {
      const committed = before.map(([id]) => [id, this._documents[id] ?? null] as const);
      for (const listener of this[LISTENERS]) listener(committed);
    }
    if (!this[STATE]) return; // built from _documents on the first indexed query
    for (const [id, old] of before) {
      const table = tableOf(id);
      if (table === null) continue;
      const indexes = tableIndexes(this, table);
      const now = this._documents[id];
      for (const index of indexes.values()) {
        if (old) index.remove(old);
        if (now) index.add(now);
      }
    }
  };

  proto._resolveQuerySource = function (this: DatabaseFake, query) {
    if (this[SCAN] || this[CANDIDATES]) return original.resolveQuerySource.call(this, query);
    const plan = planOf(this, query);
    if (!plan) return original.resolveQuerySource.call(this, query);
    // convex-test's own filter and limit for this query (and its validation of the range), over no rows.
    const { filterFn, limit } = resolveOver(this, plan.table, [], () => original.resolveQuerySource.call(this, query));
    const docs: Doc[] = [];
    let matches = 0;
    for (const doc of rangeRows(this, plan.table, plan.index, plan.range, plan.order, null)) {
      if (limit !== null && matches >= limit) break;
      docs.push(doc);
      if (limit !== null && filterFn(doc)) matches++;
    }
    return resolveOver(this, plan.table, docs, () => original.resolveQuerySource.call(this, query));
  };

  proto.paginate = function (this: DatabaseFake, args) {
    if (this[SCAN]) return original.paginate.call(this, args);
    const plan = planOf(this, args.query);
    if (!plan) return original.paginate.call(this, args);
    if (args.cursor === "_end_cursor") return resolveOver(this, plan.table, [], () => original.paginate.call(this, args));
    const { filterFn } = resolveOver(this, plan.table, [], () => original.resolveQuerySource.call(this, args.query));
    const from = args.cursor ? parseCursor(args.cursor) : null;
    const end = args.endCursor && args.endCursor !== "_end_cursor" ? parseCursor(args.endCursor) : null;
    const sign = plan.order === "asc" ? 1 : -1;
    // Enough rows for convex-test's page loop to reach the same stop: the cursor row itself (skipped), the rows
    // up to the page's last match (with no end cursor), the end cursor or the read limit, plus one more (it asks
    // "is this the last row?").
    const docs: Doc[] = [];
    let matches = 0;
    let counted = 0;
    let stop = false;
    for (const doc of rangeRows(this, plan.table, plan.index, plan.range, plan.order, from)) {
      docs.push(doc);
      if (stop) break;
      const key = plan.index.key(doc);
      if (from && compareKeys(key, from) === 0) continue;
      counted++;
      if (filterFn(doc)) matches++;
      if (end && sign * compareKeys(key, end) >= 0) stop = true;
      if (!args.endCursor && matches >= args.pageSize) stop = true;
      if (args.maximumRowsRead && counted >= args.maximumRowsRead) stop = true;
    }
    return resolveOver(this, plan.table, docs, () => original.paginate.call(this, args));
  };
}

/** The DatabaseFake instances of an engine (the app's and every registered component's). */
export async function findDatabases(t: { run: (fn: (ctx: any) => Promise<unknown>) => Promise<unknown> }): Promise<DatabaseFake[]> {
  const found = new Set<DatabaseFake>();
  const values = Object.values;
  // convex-test's TransactionManager.begin visits `Object.values(convex.components)` ({ db, modules } each).
  Object.values = function (o: any) {
    const out = values(o);
    for (const c of out as any[]) {
      if (c && typeof c === "object" && c.db && typeof c.db._resolveQuerySource === "function" && typeof c.db._iterateDocs === "function") found.add(c.db);
    }
    return out;
  } as typeof Object.values;
  try {
    await t.run(async () => null);
  } finally {
    Object.values = values;
  }
  if (found.size === 0) throw new Error("indexedReads: convex-test's DatabaseFake not found (convex-test internals changed?)");
  return [...found];
}

/**
 * Turns on indexed reads for every convex-test engine of this process (patching DatabaseFake once). `t` is any
 * engine, used to find the class.
 */
export async function enableIndexedReads(t: Parameters<typeof findDatabases>[0]): Promise<void> {
  const [db] = await findDatabases(t);
  const proto = Object.getPrototypeOf(db) as DatabaseFake & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  patch(proto);
  proto[PATCHED] = true;
}

/** Calls `listener` with the documents each outermost transaction of `db` committed (after they are applied). */
export function onCommit(db: DatabaseFake, listener: (writes: CommittedWrite[]) => void): void {
  (db[LISTENERS] ??= []).push(listener);
}

/** Makes an engine answer with convex-test's full scans (the reference in the differential test). */
export async function useTableScans(t: Parameters<typeof findDatabases>[0]): Promise<void> {
  for (const db of await findDatabases(t)) db[SCAN] = true;
}
