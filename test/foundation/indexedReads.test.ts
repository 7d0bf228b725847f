// Differential test of local/indexedReads.ts: random write and query sequences give the same answers (rows,
// order, pages, cursors, errors) on an engine with indexed reads as on convex-test's own full-scan engine.
// Writes run in transactions that sometimes fail (rolled back) and queries also run inside the writing
// transaction (pending writes merged with the index). One engine also registers a component database.
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import fc from "fast-check";
import { convexTest } from "convex-test";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { findDatabases, useTableScans } from "../../local/indexedReads";

const schema = defineSchema({
  items: defineTable({ a: v.optional(v.number()), b: v.string(), n: v.object({ c: v.optional(v.boolean()) }) })
    .index("by_a", ["a"])
    .index("by_b_and_a", ["b", "a"])
    .index("by_n_c_and_b", ["n.c", "b"]),
  others: defineTable({ b: v.string(), big: v.optional(v.string()) }).index("by_b", ["b"]),
});
const modules = import.meta.glob("../../convex/**/*.ts");
const COMPONENT = "comp";

beforeAll(() => void vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ["Date"] }));
afterAll(() => void vi.useRealTimers());

const INDEXES = { by_a: ["a"], by_b_and_a: ["b", "a"], by_n_c_and_b: ["n.c", "b"], by_creation_time: ["_creationTime"] } as const;
type IndexName = keyof typeof INDEXES | "scan";

const aValue = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });
const bValue = fc.constantFrom("x", "y", "z");
const cValue = fc.constantFrom(undefined, true, false);
const fieldValue = (field: string) =>
  field === "a" ? aValue : field === "b" ? bValue : field === "n.c" ? cValue : fc.double({ min: 1_700_000_000_000, max: 1_700_000_000_001, noNaN: true });
const item = fc.record({ a: aValue, b: bValue, c: cValue }).map(({ a, b, c }) => ({ ...(a === undefined ? {} : { a }), b, n: c === undefined ? {} : { c } }));

type Range = { eqs: unknown[]; lower?: [op: "gt" | "gte", value: unknown]; upper?: [op: "lt" | "lte", value: unknown] };
const rangeFor = (index: IndexName): fc.Arbitrary<Range> => {
  if (index === "scan") return fc.constant({ eqs: [] });
  const fields = INDEXES[index];
  return fc.integer({ min: 0, max: fields.length }).chain((k) =>
    fc.record({
      eqs: fc.tuple(...fields.slice(0, k).map(fieldValue)),
      lower: k < fields.length ? fc.option(fc.tuple(fc.constantFrom("gt" as const, "gte" as const), fieldValue(fields[k]!)), { nil: undefined }) : fc.constant(undefined),
      upper: k < fields.length ? fc.option(fc.tuple(fc.constantFrom("lt" as const, "lte" as const), fieldValue(fields[k]!)), { nil: undefined }) : fc.constant(undefined),
    }),
  );
};
const queryOp = fc.constantFrom<IndexName>("by_a", "by_b_and_a", "by_n_c_and_b", "by_creation_time", "scan").chain((index) =>
  fc.record({
    kind: fc.constant("query" as const),
    index: fc.constant(index),
    range: rangeFor(index),
    order: fc.constantFrom("asc" as const, "desc" as const),
    filterB: fc.option(bValue, { nil: undefined }),
    end: fc.oneof(fc.constant({ t: "collect" as const }), fc.constant({ t: "first" as const }), fc.constant({ t: "unique" as const }), fc.integer({ min: 0, max: 4 }).map((n) => ({ t: "take" as const, n }))),
  }),
);
const writeOp = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), value: item }),
  fc.record({ kind: fc.constant("patch" as const), pick: fc.nat(), value: item }),
  fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), value: item }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("insertOther" as const), b: bValue }),
);
const transaction = fc.record({
  ops: fc.array(fc.oneof({ arbitrary: writeOp, weight: 1 }, { arbitrary: queryOp, weight: 1 }), { maxLength: 10 }),
  fails: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), // one in four rolls back
  component: fc.boolean(),
});
const seed = fc.array(item, { minLength: 10, maxLength: 40 });
const pagination = fc.record({
  kind: fc.constant("paginate" as const),
  query: queryOp,
  numItems: fc.integer({ min: 1, max: 5 }),
  maximumRowsRead: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  component: fc.boolean(),
});

function build(ctx: any, op: { index: IndexName; range: Range; order: "asc" | "desc"; filterB?: string }) {
  let q = ctx.db.query("items");
  if (op.index !== "scan") {
    const fields = INDEXES[op.index];
    q = q.withIndex(op.index, (r: any) => {
      op.range.eqs.forEach((value, i) => (r = r.eq(fields[i], value)));
      const next = fields[op.range.eqs.length];
      if (op.range.lower) r = r[op.range.lower[0]](next, op.range.lower[1]);
      if (op.range.upper) r = r[op.range.upper[0]](next, op.range.upper[1]);
      return r;
    });
  }
  q = q.order(op.order);
  if (op.filterB !== undefined) q = q.filter((f: any) => f.eq(f.field("b"), op.filterB));
  return q;
}

async function outcome<T>(run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (e) {
    return { error: String((e as Error).message).split("\n")[0]! };
  }
}

async function engines() {
  const make = () => {
    const t = convexTest(schema, modules);
    t.registerComponent(COMPONENT, schema, modules);
    return t;
  };
  const indexed = make();
  const reference = make();
  await useTableScans(reference);
  return [indexed, reference] as const;
}

type Engine = Awaited<ReturnType<typeof engines>>[number];
async function replay(t: Engine, initial: Array<Record<string, unknown>>, steps: any[]) {
  const log: unknown[] = [];
  for (const run of [(fn: any) => t.run(fn), (fn: any) => (t as any).runInComponent(COMPONENT, fn)]) {
    await run(async (ctx: any) => {
      for (const value of initial) await ctx.db.insert("items", value);
    });
  }
  for (const step of steps) {
    const runIn = (fn: (ctx: any) => Promise<unknown>) => (step.component ? (t as any).runInComponent(COMPONENT, fn) : t.run(fn));
    if (step.kind === "paginate") {
      let cursor: string | null = null;
      for (let page = 0; page < 8; page++) {
        const r: any = await outcome(() => runIn((ctx) => build(ctx, step.query).paginate({ cursor, numItems: step.numItems, maximumRowsRead: step.maximumRowsRead })));
        log.push(r);
        if (r.error || r.isDone) break;
        cursor = r.continueCursor;
      }
      continue;
    }
    const seen: unknown[] = []; // kept even when the transaction rolls back
    log.push(seen);
    log.push(
      await outcome(() =>
        runIn(async (ctx) => {
          for (const op of step.ops) {
            const ids = (await ctx.db.query("items").collect()).map((d: any) => d._id);
            const target = ids.length ? ids[("pick" in op ? op.pick : 0) % ids.length] : undefined;
            if (op.kind === "insert") seen.push(await ctx.db.insert("items", op.value));
            else if (op.kind === "insertOther") seen.push(await ctx.db.insert("others", { b: op.b }));
            else if (op.kind === "patch" && target) await ctx.db.patch(target, op.value.a === undefined ? { ...op.value, a: undefined } : op.value);
            else if (op.kind === "replace" && target) await ctx.db.replace(target, op.value);
            else if (op.kind === "delete" && target) await ctx.db.delete(target);
            else if (op.kind === "query") {
              const q = build(ctx, op);
              seen.push(await outcome(() => (op.end.t === "take" ? q.take(op.end.n) : q[op.end.t]())));
            }
          }
          if (step.fails) throw new Error("rolled back on purpose");
          return "committed";
        }),
      ),
    );
  }
  return log;
}

test("indexed reads answer random write/query sequences exactly like convex-test's table scans", async () => {
  await fc.assert(
    fc.asyncProperty(seed, fc.array(fc.oneof({ arbitrary: transaction, weight: 3 }, { arbitrary: pagination, weight: 1 }), { minLength: 1, maxLength: 12 }), async (initial, steps) => {
      const [indexed, reference] = await engines();
      const got = await replay(indexed, initial, steps);
      const want = await replay(reference, initial, steps);
      expect(got).toEqual(want);
      // The final state, read through every index, agrees too.
      const all = (t: Engine) => t.run(async (ctx: any) => Promise.all(Object.keys(INDEXES).map((i) => ctx.db.query("items").withIndex(i).collect())));
      expect(await all(indexed)).toEqual(await all(reference));
    }),
    { numRuns: 50 },
  );
}, 60_000); // ~2 s on an idle 2-core machine

test("the indexed engine is the one answering (a reference engine is not patched by accident)", async () => {
  const [indexed, reference] = await engines();
  const [db] = await findDatabases(indexed);
  const [refDb] = await findDatabases(reference);
  expect(Object.getPrototypeOf(db)).toBe(Object.getPrototypeOf(refDb));
  for (const t of [indexed, reference]) await t.run(async (ctx: any) => void (await ctx.db.insert("items", { a: 1, b: "x", n: {} })));
  // Count the rows handed to convex-test's range evaluation for one eq lookup: the whole table vs the range.
  const visits = async (t: Engine) => {
    const [d] = await findDatabases(t);
    let n = 0;
    const original = d!._iterateDocs;
    d!._iterateDocs = function (this: any, table: string, cb: (doc: any) => void) {
      return original.call(this, table, (doc: any) => (n++, cb(doc)));
    };
    try {
      await t.run(async (ctx: any) => {
        for (let i = 0; i < 50; i++) await ctx.db.insert("items", { a: 2, b: "y", n: {} });
      });
      n = 0;
      await t.run(async (ctx: any) => ctx.db.query("items").withIndex("by_a", (q: any) => q.eq("a", 1)).collect());
      return n;
    } finally {
      d!._iterateDocs = original;
    }
  };
  expect(await visits(indexed)).toBe(1);
  expect(await visits(reference)).toBe(51);
});

test("transaction limits stay enforced: reading more rows than the limit fails the same way", async () => {
  const make = () => convexTest({ schema, modules, transactionLimits: true });
  const indexed = make();
  const reference = make();
  await useTableScans(reference);
  const results = [];
  for (const t of [indexed, reference]) {
    // 40 documents of 0.5 MB: reading them all crosses the 16 MiB read limit, reading 10 does not.
    for (let chunk = 0; chunk < 4; chunk++) {
      await t.run(async (ctx: any) => {
        for (let i = 0; i < 10; i++) await ctx.db.insert("others", { b: "x", big: "y".repeat(500_000) });
      });
    }
    results.push(await outcome(() => t.run(async (ctx: any) => (await ctx.db.query("others").withIndex("by_b", (q: any) => q.eq("b", "x")).collect()).length)));
    results.push(await outcome(() => t.run(async (ctx: any) => (await ctx.db.query("others").withIndex("by_b", (q: any) => q.eq("b", "x")).take(10)).length)));
  }
  expect(results[0]).toEqual(results[2]);
  expect(results[0]).toMatchObject({ error: expect.stringMatching(/Read too much data/) });
  expect(results[1]).toBe(10);
  expect(results[3]).toBe(10);
}, 60_000);
