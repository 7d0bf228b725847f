// Planner at scale: documents read per `eq` lookup and per page at 1k and 10k users in one directory (reads must
// not grow with the directory). 100k users are measured in the bench (`npm run bench -- scim`), not here: the
// suite asserts behaviour, not wall-clock, and stays inside its time budget.
// How reads are measured: the handler returns ctx.meta.getTransactionMetrics().documentsRead (the engine's own
// count of documents read by the whole transaction: directory + token + results + computed attributes),
// and convexTest runs with transactionLimits: true, so Convex's per-transaction limits (32k documents read,
// 16k written) are enforced — a scan of 100k users would fail the request outright.
import { beforeAll, describe, expect, test } from "vitest";
import { newGateway } from "../helpers";
import schema from "../../src/component/schema";
import { internal } from "../../src/component/_generated/api";
import { sha256b64url } from "../../src/component/scim/store";
import { DEMO_TOKEN, setup, USER_SCHEMA, type Env } from "./helpers";
import { seedUsers, seededUser } from "./seed";

async function call(env: Env, method: string, path: string, body?: unknown) {
  const [p, query = ""] = path.split("?");
  const r = await env.t.mutation(internal.scim.api.handle, {
    directory: env.slug, tokenHash: await sha256b64url(DEMO_TOKEN), method,
    segments: p!.split("/").filter(Boolean), query: query ? `?${query}` : "",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { ...r, json: r.body ? JSON.parse(r.body) : undefined };
}
async function callErr(env: Env, path: string) {
  try {
    await call(env, "GET", path);
  } catch (e: any) {
    return e.data;
  }
  return undefined;
}
const f = (s: string) => `filter=${encodeURIComponent(s)}`;

describe.each([1_000, 10_000])("%i users", (n) => {
  let env: Env;
  beforeAll(async () => {
    env = await setup({ limits: true });
    await seedUsers(env.t, env.directoryId, n);
  }, 120_000);

  test("seeded rows have the same shape as rows created over HTTP", async () => {
    const created = await call(env, "POST", "/Users", { schemas: [USER_SCHEMA], ...seededUser(n + 1) });
    expect(created.status).toBe(201);
    const [a, b] = await env.t.run(async (ctx) => {
      const rows = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", env.directoryId).gte("seq", n - 1)).collect();
      return rows.map((r) => Object.keys(r).filter((k) => k !== "userId").sort());
    });
    expect(a).toEqual(b);
    await call(env, "DELETE", `/Users/${created.json.id}`);
  });

  test.each([
    ["userName eq", () => `userName eq "USER${Math.floor(n / 2)}@scale.example"`],
    ["externalId eq", () => `externalId eq "ext-${n - 1}"`],
    ["emails.value eq", () => `emails.value eq "user7@scale.example"`],
    ["emails[type eq work and value eq]", () => `emails[type eq "work" and value eq "user8@scale.example"]`],
    ["displayName eq", () => `displayName eq "user ${n - 2}"`],
    ["userName eq AND active eq true", () => `userName eq "user3@scale.example" and active eq true`],
  ])("%s: one hit, reads independent of directory size", async (_name, filter) => {
    const r = await call(env, "GET", `/Users?${f(filter())}`);
    expect(r.json.totalResults).toBe(1);
    // directory + token + matching user (+ email row for emails.value) and nothing proportional to n.
    expect(r.reads).toBeLessThanOrEqual(6);
    console.log(`[scim scale] n=${n} ${_name}: ${r.reads} documents read`);
  });

  test("id eq and a miss", async () => {
    const first = await call(env, "GET", "/Users?count=1");
    const id = first.json.Resources[0].id;
    const hit = await call(env, "GET", `/Users?${f(`id eq "${id}"`)}`);
    expect([hit.json.totalResults, hit.reads! <= 4]).toEqual([1, true]);
    const miss = await call(env, "GET", `/Users?${f(`userName eq "nobody@x"`)}`);
    expect([miss.json.totalResults, miss.reads! <= 3]).toEqual([0, true]);
  });

  test("pages: totalResults from the counter; first and deep pages read ~count documents", async () => {
    const p1 = await call(env, "GET", "/Users?startIndex=1&count=100");
    expect([p1.json.totalResults, p1.json.itemsPerPage]).toEqual([n, 100]);
    expect(p1.json.Resources[0].userName).toBe("user0@scale.example");
    expect(p1.reads).toBeLessThanOrEqual(100 + 4);
    const deepIndex = n - 150;
    const deep = await call(env, "GET", `/Users?startIndex=${deepIndex}&count=100`);
    expect(deep.json.Resources[0].userName).toBe(`user${deepIndex - 1}@scale.example`);
    expect(deep.json.itemsPerPage).toBe(100);
    // level-1 counters (n/4096) + ≤ 64 level-0 counters + < 64 skipped rows + the page + directory/token.
    expect(deep.reads).toBeLessThanOrEqual(Math.ceil(n / 4096) + 64 + 64 + 100 + 4);
    console.log(`[scim scale] n=${n} page 1: ${p1.reads} reads; page at ${deepIndex}: ${deep.reads} reads`);
  });

  test("deep pages stay correct after deletions", async () => {
    const victims = await call(env, "GET", "/Users?startIndex=11&count=3");
    for (const u of victims.json.Resources) expect((await call(env, "DELETE", `/Users/${u.id}`)).status).toBe(204);
    const after = await call(env, "GET", `/Users?startIndex=${n - 10}&count=5`);
    expect(after.json.totalResults).toBe(n - 3);
    expect(after.json.Resources[0].userName).toBe(`user${n - 8}@scale.example`);
  });

  test("a filter no index answers is refused above the scan limit instead of scanning", async () => {
    const err = await callErr(env, `/Users?${f('title co "x"')}`);
    if (n > 2000) expect(err).toMatchObject({ kind: "ScimError", status: 400, scimType: "tooMany" });
    else expect(err).toBeUndefined();
  });
});

test("the engine's read counter is what we think it is (sanity)", async () => {
  const t = newGateway({ transactionLimits: true });
  const reads = await t.run(async (ctx) => {
    const g = await ctx.db.insert("groups", { slug: "g", name: "g", policy: { defaultRole: "m" }, createdAt: 0 });
    await ctx.db.get(g);
    await ctx.db.get(g);
    return (await ctx.meta.getTransactionMetrics()).documentsRead.used;
  });
  expect(reads).toBe(2);
});

test("pageBySeq agrees with a naive ordered scan at random depths after random deletions (10k users)", async () => {
  const env = await setup();
  await seedUsers(env.t, env.directoryId, 10_000);
  // Delete 300 users spread over every counter block, through the normal path (counters maintained).
  const all = await env.t.run(async (ctx) => (await ctx.db.query("scimUsers").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", env.directoryId)).collect()).map((u) => u._id));
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const victims = new Set<string>();
  while (victims.size < 300) victims.add(all[Math.floor(rnd() * all.length)]!);
  for (const id of victims) expect((await call(env, "DELETE", `/Users/${id}`)).status).toBe(204);
  const remaining = all.filter((id) => !victims.has(id));
  for (let k = 0; k < 25; k++) {
    const startIndex = 1 + Math.floor(rnd() * (remaining.length + 20));
    const page = await call(env, "GET", `/Users?startIndex=${startIndex}&count=37&attributes=id`);
    expect(page.json.totalResults).toBe(remaining.length);
    expect(page.json.Resources.map((r: any) => r.id)).toEqual(remaining.slice(startIndex - 1, startIndex - 1 + 37));
  }
}, 60_000);
