// Big groups within Convex's per-transaction limits (enforced: transactionLimits: true), and role
// recomputation for many members in scheduled batches.
import { afterEach, describe, expect, test, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { GROUP_SCHEMA, PATCH_OP, setup, snapshot } from "./helpers";
import { seedUsers } from "./seed";

afterEach(() => vi.useRealTimers());

describe("large groups", () => {
  test("3,000 members in one PATCH fit; 3,001 → 400 tooMany with nothing written; GET renders them", async () => {
    const env = await setup({ limits: true });
    await seedUsers(env.t, env.directoryId, 3_001);
    const ids = await env.t.run(async (ctx) => (await ctx.db.query("scimUsers").collect()).map((u) => u._id as string));
    const g = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Everyone" } })).json();
    const before = await snapshot(env.t);
    const tooMany = await env.scim(`/Groups/${g.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: ids.map((value) => ({ value })) }] } });
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).scimType).toBe("tooMany");
    expect(await snapshot(env.t)).toBe(before);
    const ok = await env.scim(`/Groups/${g.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "Add", path: "members", value: ids.slice(0, 3_000).map((value) => ({ value, $ref: null })) }] } });
    expect(ok.status).toBe(204);
    const full = await (await env.scim(`/Groups/${g.id}`)).json();
    expect(full.members).toHaveLength(3_000);
    const lean = await (await env.scim(`/Groups/${g.id}?excludedAttributes=members`)).json();
    expect(lean.members).toBeUndefined();
  }, 60_000);
});

describe("roles for many members", () => {
  test("beyond the inline batch, roles are recomputed by scheduled jobs", async () => {
    vi.useFakeTimers();
    const env = await setup();
    await env.t.mutation(internal.scim.admin.setRoleRules, { directoryId: env.directoryId, roleRules: [{ attribute: "displayName", value: "Admins", role: "admin" }] });
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) {
      const r = await env.scim("/Users", { method: "POST", body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `m${i}@x` } });
      ids.push((await r.json()).id);
    }
    const g = await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Admins", members: ids.map((value) => ({ value })) } });
    expect(g.status).toBe(201);
    const roles = async () => (await env.t.run((ctx) => ctx.db.query("memberships").collect())).map((m) => m.role);
    const partial = await roles();
    expect(partial.filter((r) => r === "admin")).toHaveLength(200);
    await env.t.finishAllScheduledFunctions(vi.runAllTimers);
    expect((await roles()).every((r) => r === "admin")).toBe(true);
  });
});

describe("group pages under the members budget", () => {
  test("a page stops early instead of failing when members would exceed the per-request budget", async () => {
    const env = await setup({ limits: true });
    await seedUsers(env.t, env.directoryId, 3_000);
    const ids = await env.t.run(async (ctx) => (await ctx.db.query("scimUsers").collect()).map((u) => u._id as string));
    for (let i = 0; i < 5; i++) {
      const r = await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: `Big ${i}`, members: ids.map((value) => ({ value })) } });
      expect(r.status).toBe(201);
    }
    // 5 × 3,000 members > 10,000 per request: the first page returns 3 groups, the next page the rest.
    const p1 = await (await env.scim("/Groups?startIndex=1&count=5")).json();
    expect([p1.totalResults, p1.itemsPerPage, p1.Resources.every((g: any) => g.members.length === 3_000)]).toEqual([5, 3, true]);
    const p2 = await (await env.scim(`/Groups?startIndex=${1 + p1.itemsPerPage}&count=5`)).json();
    expect(p2.Resources.map((g: any) => g.displayName)).toEqual(["Big 3", "Big 4"]);
    const lean = await (await env.scim("/Groups?count=5&excludedAttributes=members")).json();
    expect(lean.itemsPerPage).toBe(5);
  }, 60_000);
});

describe("deleting a big group", () => {
  test("the group goes at once; member rows beyond one transaction's share are deleted by scheduled batches", async () => {
    vi.useFakeTimers();
    const env = await setup({ limits: true });
    await seedUsers(env.t, env.directoryId, 6_000);
    const ids = await env.t.run(async (ctx) => (await ctx.db.query("scimUsers").collect()).map((u) => u._id as string));
    const g = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Huge" } })).json();
    await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Other", members: [{ value: ids[5_999] }] } });
    for (const part of [ids.slice(0, 3_000), ids.slice(3_000)]) {
      const r = await env.scim(`/Groups/${g.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: part.map((value) => ({ value })) }] } });
      expect(r.status).toBe(204);
    }
    expect((await env.scim(`/Groups/${g.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await env.scim(`/Groups/${g.id}`)).status).toBe(404);
    const u = await (await env.scim(`/Users/${ids[5_999]}`)).json();
    expect(u.groups.map((x: any) => x.display)).toEqual(["Other"]); // orphan rows of the deleted group are not shown
    const rows = () => env.t.run(async (ctx) => (await ctx.db.query("scimGroupMembers").collect()).length);
    expect(await rows()).toBe(1_000 + 1);
    await env.t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await rows()).toBe(1);
    expect((await (await env.scim("/Groups?count=0")).json()).totalResults).toBe(1);
  }, 60_000);
});
