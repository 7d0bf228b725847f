// Persistence of the local engine (issue 13): a snapshot plus an append-only journal, instead of rewriting the
// whole state every 250 ms.
//
// - `state.json` (snapshot): every document of every database (the app's and each component's), the document
//   counter and the journal position it includes. Written to a temporary file, fsynced, then renamed over the
//   old one: a reader sees the old snapshot or the new one, never half of one.
// - `state.journal` (JSON lines): one line per committed transaction — its documents as committed (`null` for a
//   delete) and the database's document counter. Lines are buffered and appended (and fdatasynced) once per
//   flush interval; a line is only ever appended whole, so a crash (kill -9, power loss) leaves at most a torn
//   last line, which loading ignores. So a crash loses at most the last flush interval.
// - Compaction: when the journal outgrows the snapshot (and a floor), a new snapshot is written and the journal
//   restarted. Lines the snapshot already includes are skipped on load (a crash between the rename and the
//   truncate replays nothing twice), so the cost of persistence stays proportional to what changed.
// Both files are created with mode 0600 (they hold sessions, refresh-token hashes and SCIM data).
//
// Document IDs survive a restart exactly (tokens carry them): documents are put back into convex-test's
// in-memory database as they were, with its counter, rather than re-inserted.
import { closeSync, existsSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, statSync, writeSync, chmodSync } from "node:fs";
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { findDatabases, onCommit, type CommittedWrite, type DatabaseFake } from "./indexedReads";

type JsonDoc = Record<string, unknown>;
interface Snapshot {
  version: 2;
  /** Journal lines up to this sequence number are included. */
  seq: number;
  databases: Record<string, { nextDocId: number; lastCreationTime: number; documents: JsonDoc[] }>;
}
interface LegacySnapshot {
  version: 1;
  tables: Record<string, JsonDoc[]>;
}
interface JournalLine {
  seq: number;
  /** Component path ("" for the app). */
  db: string;
  next: number;
  /** [id, document as Convex JSON | null]. */
  w: Array<[string, JsonDoc | null]>;
}

export interface StoreOptions {
  /** How often buffered journal lines are written (and the most a crash loses), ms. */
  flushMs?: number;
  /** Compact when the journal is larger than this and larger than the snapshot, bytes. */
  compactAtBytes?: number;
}

export interface Store {
  /** Documents loaded at open. */
  readonly restored: number;
  readonly snapshotFile: string;
  readonly journalFile: string;
  /** Writes buffered lines now (the timer does this every flushMs). */
  flush(): void;
  /** Writes a snapshot and restarts the journal. */
  compact(): void;
  /** Flushes, compacts and stops the timer. */
  close(): void;
}

const FILE_MODE = 0o600;

function tableOfId(id: string): string {
  return id.replace(/^[0-9]+/, "");
}

function counterOf(id: string): number {
  return Number(/^[0-9]+/.exec(id)?.[0] ?? 0);
}

/** Reads the journal's complete lines; a torn last line (a crash mid-append) is dropped. */
function readJournal(file: string): { lines: JournalLine[]; goodBytes: number } {
  if (!existsSync(file)) return { lines: [], goodBytes: 0 };
  const text = readFileSync(file, "utf8");
  const lines: JournalLine[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    if (end < 0) break; // torn: no newline yet
    const raw = text.slice(offset, end);
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      if (end + 1 >= text.length) break; // torn last line
      throw new Error(`${file}: line at byte ${offset} is not valid JSON (the journal is damaged before its last line)`);
    }
    lines.push(line);
    offset = end + 1;
  }
  return { lines, goodBytes: Buffer.byteLength(text.slice(0, offset)) };
}

const GATEWAY_COMPONENT = "ssoGateway";

function loadSnapshot(file: string, dbs: Map<string, DatabaseFake>): Snapshot & { current: boolean } {
  if (!existsSync(file)) return { version: 2, seq: 0, databases: {}, current: false };
  const raw = JSON.parse(readFileSync(file, "utf8")) as Snapshot | LegacySnapshot;
  if (raw.version === 2) return { ...raw, current: true };
  // Version 1 (a whole-state JSON dump of the app's tables, plain JSON values): same documents, no counter.
  const documents = Object.values(raw.tables).flat();
  // Those tables are the gateway's, which now lives in the mounted component (the app root has no tables).
  const path = dbs.has(GATEWAY_COMPONENT) ? GATEWAY_COMPONENT : "";
  const root = dbs.get(path);
  const nextDocId = Math.max(root?._nextDocId ?? 10000, ...documents.map((d) => counterOf(String(d._id)) + 1));
  const lastCreationTime = Math.max(0, ...documents.map((d) => Number(d._creationTime)));
  return { version: 2, seq: 0, databases: { [path]: { nextDocId, lastCreationTime, documents } }, current: false };
}

function putDocument(db: DatabaseFake, id: string, doc: JsonDoc | null) {
  if (doc === null) delete db._documents[id];
  else db._documents[id] = jsonToConvex(doc as any) as any;
}

/** Whether the database's schema still has this table (a removed table's rows are dropped, as before). */
function keeps(db: DatabaseFake, id: string): boolean {
  return db._schema === null || db._schema.tables.has(tableOfId(id));
}

/**
 * Loads `<dir>/state.json` + `<dir>/state.journal` into a fresh engine and journals its commits from then on.
 * Open it after every component is registered (their databases are found once, here).
 */
export async function openStore(t: Parameters<typeof findDatabases>[0], dir: string, options: StoreOptions = {}): Promise<Store> {
  const flushMs = options.flushMs ?? 250;
  const compactAtBytes = options.compactAtBytes ?? 4 * 1024 * 1024;
  const snapshotFile = `${dir}/state.json`;
  const journalFile = `${dir}/state.journal`;
  const dbs = new Map((await findDatabases(t)).map((db) => [db._componentPath, db] as const));

  // Load: snapshot, then journal lines after it, applied in order.
  const snapshot = loadSnapshot(snapshotFile, dbs);
  let restored = 0;
  for (const [path, saved] of Object.entries(snapshot.databases)) {
    const db = dbs.get(path);
    if (!db) throw new Error(`${snapshotFile}: documents for component "${path}", which this engine does not register`);
    for (const doc of saved.documents) if (keeps(db, String(doc._id))) putDocument(db, String(doc._id), doc);
    db._nextDocId = Math.max(db._nextDocId, saved.nextDocId);
    db._lastCreationTime = Math.max(db._lastCreationTime, saved.lastCreationTime);
  }
  const { lines, goodBytes } = readJournal(journalFile);
  let seq = snapshot.seq;
  for (const line of lines) {
    if (line.seq <= snapshot.seq) continue;
    const db = dbs.get(line.db);
    if (!db) throw new Error(`${journalFile}: writes for component "${line.db}", which this engine does not register`);
    for (const [id, doc] of line.w) if (keeps(db, id)) putDocument(db, id, doc);
    db._nextDocId = Math.max(db._nextDocId, line.next);
    for (const [, doc] of line.w) if (doc) db._lastCreationTime = Math.max(db._lastCreationTime, Number(doc._creationTime));
    seq = line.seq;
  }
  for (const db of dbs.values()) restored += Object.keys(db._documents).length;

  // Journal from here on. A torn last line is cut off before anything is appended after it.
  const journal = openSync(journalFile, "a+", FILE_MODE);
  ftruncateSync(journal, goodBytes);
  chmodSync(journalFile, FILE_MODE);
  let journalBytes = goodBytes;
  let snapshotBytes = existsSync(snapshotFile) ? statSync(snapshotFile).size : 0;
  let buffer: string[] = [];
  for (const [path, db] of dbs) {
    onCommit(db, (writes: CommittedWrite[]) => {
      seq += 1;
      const w = writes.map(([id, doc]) => [id, doc === null ? null : (convexToJson(doc as Value) as JsonDoc)] as [string, JsonDoc | null]);
      buffer.push(`${JSON.stringify({ seq, db: path, next: db._nextDocId, w } satisfies JournalLine)}\n`);
    });
  }

  const flush = () => {
    if (buffer.length === 0) return;
    const text = buffer.join("");
    buffer = [];
    writeSync(journal, text);
    fdatasyncSync(journal);
    journalBytes += Buffer.byteLength(text);
    if (journalBytes > compactAtBytes && journalBytes > snapshotBytes) compact();
  };

  const compact = () => {
    const databases: Snapshot["databases"] = {};
    for (const [path, db] of dbs) {
      databases[path] = {
        nextDocId: db._nextDocId,
        lastCreationTime: db._lastCreationTime,
        documents: Object.values(db._documents).map((doc) => convexToJson(doc as Value) as JsonDoc),
      };
    }
    // Buffered lines are already in these documents and in `seq`: they go with the old journal.
    buffer = [];
    const text = JSON.stringify({ version: 2, seq, databases } satisfies Snapshot);
    const tmp = `${snapshotFile}.tmp`;
    const fd = openSync(tmp, "w", FILE_MODE);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, FILE_MODE);
    renameSync(tmp, snapshotFile);
    snapshotBytes = Buffer.byteLength(text);
    ftruncateSync(journal, 0);
    journalBytes = 0;
  };

  // A snapshot in the current format from the start (migrates a version 1 file, makes a fresh data dir whole).
  if (!snapshot.current || lines.length > 0) compact();

  const timer = setInterval(flush, flushMs);
  timer.unref();
  let closed = false;
  return {
    restored,
    snapshotFile,
    journalFile,
    flush,
    compact,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
      compact();
      closeSync(journal);
    },
  };
}
