// Per SCIM operation: transactions the HTTP action opens (each ctx.runQuery / ctx.runMutation is its own
// transaction and billed function call on Convex; convex-test runs them as outermost transactions of its
// database, which is where they are counted), documents read and documents written (counted at convex-test's
// syscall layer) while one request runs through convex/http.ts.
import type { ScimClient } from "../fixtures/scim/sequences";
import type { Row } from "./harness";
import { findDatabases } from "../local/indexedReads";

interface Counts {
  calls: number;
  read: number;
  written: number;
}
const counts: Counts = { calls: 0, read: 0, written: 0 };
let installed = false;

/** Wraps convex-test's syscall entry points (global.Convex) to count reads and writes, and the database's
 * outermost transactions. */
async function install(t: Parameters<typeof findDatabases>[0]) {
  if (installed) return;
  installed = true;
  for (const db of await findDatabases(t)) {
    const start = (db as any).startTransaction;
    (db as any).startTransaction = function (this: any) {
      if (this._writes.length === 0 && this._componentPath === "") counts.calls++;
      return start.call(this);
    };
  }
  const convex = (globalThis as any).Convex;
  const asyncGetter = Object.getOwnPropertyDescriptor(convex, "asyncSyscall")!.get!;
  Object.defineProperty(convex, "asyncSyscall", {
    configurable: true,
    get() {
      const inner = asyncGetter.call(this);
      return async (op: string, args: string) => {
        if (/^1\.0\/(insert|shallowMerge|replace|remove)$/.test(op)) counts.written++;
        const out = await inner(op, args);
        if (op === "1.0/get" && JSON.parse(out) !== null) counts.read++;
        if (op === "1.0/queryStreamNext" && !JSON.parse(out).done) counts.read++;
        if (op === "1.0/queryPage") counts.read += JSON.parse(out).page.length;
        return out;
      };
    },
  });
}

async function measure(run: () => Promise<unknown>): Promise<Counts> {
  Object.assign(counts, { calls: 0, read: 0, written: 0 });
  await run();
  return { ...counts };
}

/** One request of each kind an IdP sends, in an order that makes each valid. */
export async function scimOperationCounts(t: Parameters<typeof findDatabases>[0], client: ScimClient): Promise<Row[]> {
  await install(t);
  const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
  const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
  const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
  const rows: Row[] = [];
  const row = async (op: string, run: () => Promise<any>) => {
    let result: any;
    const c = await measure(async () => (result = await run()));
    rows.push({ bench: "scim per operation", operation: op, status: result.status, "transactions (function calls)": c.calls, "documents read": c.read, "documents written": c.written });
    return result;
  };
  const user = { schemas: [USER], userName: "count.me@bench.example", name: { givenName: "Count", familyName: "Me" }, emails: [{ value: "count.me@bench.example", type: "work", primary: true }], active: true };
  await client("GET", "/Users?count=1"); // warm-up (token lastUsedAt refresh)
  const created = await row("POST /Users", () => client("POST", "/Users", user));
  const id = created.body.id;
  await row("GET /Users/{id}", () => client("GET", `/Users/${id}`));
  await row("GET /Users?filter=userName eq", () => client("GET", `/Users?filter=${encodeURIComponent('userName eq "count.me@bench.example"')}`));
  await row("GET /Users?count=100", () => client("GET", "/Users?startIndex=1&count=100"));
  await row("PATCH /Users/{id} (active false)", () => client("PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] }));
  await row("PUT /Users/{id}", () => client("PUT", `/Users/${id}`, { ...user, active: true }));
  const group = await row("POST /Groups", () => client("POST", "/Groups", { schemas: [GROUP], displayName: "Counted" }));
  await row("PATCH /Groups/{id} (add member)", () => client("PATCH", `/Groups/${group.body.id}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: id }] }] }));
  await row("DELETE /Groups/{id}", () => client("DELETE", `/Groups/${group.body.id}`));
  await row("DELETE /Users/{id}", () => client("DELETE", `/Users/${id}`));
  await row("GET with a bad token (401)", () => client("GET", "/Users", undefined, { Authorization: "Bearer wrong-token-0123456789" }));
  return rows;
}
