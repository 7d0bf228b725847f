// Protocol features through convex/http.ts: discovery, lists, projection, sorting, ETags, bulk, .search.
import { beforeAll, describe, expect, test } from "vitest";
import { ENTERPRISE, GROUP_SCHEMA, PATCH_OP, setup, snapshot, user, USER_SCHEMA, type Env } from "./helpers";

const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

describe("discovery tells the truth", () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup();
  });
  test("ServiceProviderConfig", async () => {
    const r = await env.scim("/ServiceProviderConfig");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    const b = await r.json();
    expect(b.patch.supported).toBe(true);
    expect(b.bulk).toEqual({ supported: true, maxOperations: 100, maxPayloadSize: 1048576 });
    expect(b.filter).toEqual({ supported: true, maxResults: 200 });
    expect(b.changePassword.supported).toBe(false);
    expect(b.sort.supported).toBe(true);
    expect(b.etag.supported).toBe(true);
    expect(b.authenticationSchemes[0].type).toBe("oauthbearertoken");
  });
  test("ResourceTypes and Schemas, by id too", async () => {
    const rt = await (await env.scim("/ResourceTypes")).json();
    expect(rt.Resources.map((x: any) => x.id)).toEqual(["User", "Group"]);
    expect(rt.Resources[0].schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    expect((await env.scim("/ResourceTypes/Group")).status).toBe(200);
    expect((await env.scim("/ResourceTypes/Widget")).status).toBe(404);
    const s = await (await env.scim("/Schemas")).json();
    expect(s.schemas).toEqual([LIST]);
    expect(s.Resources.map((x: any) => x.id)).toEqual([USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA]);
    const u = await (await env.scim(`/Schemas/${USER_SCHEMA}`)).json();
    const userName = u.attributes.find((a: any) => a.name === "userName");
    expect(userName).toMatchObject({ caseExact: false, uniqueness: "server", required: true, mutability: "readWrite" });
    const groups = u.attributes.find((a: any) => a.name === "groups");
    expect(groups.mutability).toBe("readOnly");
    const password = u.attributes.find((a: any) => a.name === "password");
    expect(password).toMatchObject({ mutability: "writeOnly", returned: "never" });
    expect((await env.scim("/Schemas/urn:nope")).status).toBe(404);
  });
});

describe("lists", () => {
  let env: Env;
  const names = ["carol", "alice", "Eve", "bob", "dave", "Frank", "grace"];
  beforeAll(async () => {
    env = await setup();
    for (const [i, n] of names.entries())
      await user(env, `${n}@example.com`, { displayName: n, emails: [{ value: `${n}@example.com`, type: "work" }], title: i % 2 ? "eng" : "ops" });
  });
  test("startIndex/count pages in stable creation order with correct totals", async () => {
    const p1 = await (await env.scim("/Users?startIndex=1&count=3")).json();
    const p2 = await (await env.scim("/Users?startIndex=4&count=3")).json();
    const p3 = await (await env.scim("/Users?startIndex=7&count=3")).json();
    const p4 = await (await env.scim("/Users?startIndex=8&count=3")).json();
    expect([p1, p2, p3, p4].map((p) => [p.totalResults, p.itemsPerPage, p.startIndex])).toEqual([[7, 3, 1], [7, 3, 4], [7, 1, 7], [7, 0, 8]]);
    const all = [...p1.Resources, ...p2.Resources, ...p3.Resources].map((u: any) => u.displayName);
    expect(all).toEqual(names);
    expect(p4.Resources).toEqual([]);
  });
  test("count is capped at maxResults; count=0 returns only the total; startIndex<1 is 1", async () => {
    const big = await (await env.scim("/Users?count=100000")).json();
    expect(big.itemsPerPage).toBe(7);
    const zero = await (await env.scim("/Users?count=0")).json();
    expect([zero.totalResults, zero.itemsPerPage, zero.Resources]).toEqual([7, 0, []]);
    const neg = await (await env.scim("/Users?startIndex=-5&count=1")).json();
    expect(neg.startIndex).toBe(1);
  });
  test("sortBy/sortOrder, case-insensitive for userName", async () => {
    const asc = await (await env.scim("/Users?sortBy=userName")).json();
    expect(asc.Resources.map((u: any) => u.displayName)).toEqual(["alice", "bob", "carol", "dave", "Eve", "Frank", "grace"]);
    const desc = await (await env.scim("/Users?sortBy=userName&sortOrder=descending&count=2")).json();
    expect(desc.Resources.map((u: any) => u.displayName)).toEqual(["grace", "Frank"]);
    expect(desc.totalResults).toBe(7);
  });
  test("filter + sort + page together", async () => {
    const r = await (await env.scim(`/Users?filter=${encodeURIComponent('title eq "eng"')}&sortBy=displayName&startIndex=2&count=2`)).json();
    expect(r.totalResults).toBe(3);
    expect(r.Resources.map((u: any) => u.displayName)).toEqual(["bob", "Frank"]);
  });
  test("attributes and excludedAttributes", async () => {
    const r = await (await env.scim("/Users?attributes=userName,name.givenName&count=1")).json();
    expect(Object.keys(r.Resources[0]).sort()).toEqual(["id", "schemas", "userName"]);
    const e = await (await env.scim("/Users?excludedAttributes=emails,meta&count=1")).json();
    expect(e.Resources[0].emails).toBeUndefined();
    expect(e.Resources[0].meta).toBeUndefined();
    expect(e.Resources[0].userName).toBe("carol@example.com");
    const sub = await (await env.scim("/Users?attributes=emails.value&count=1")).json();
    expect(sub.Resources[0].emails).toEqual([{ value: "carol@example.com" }]);
  });
  test("an empty filter parameter lists everything", async () => {
    const r = await (await env.scim("/Users?filter=&count=1")).json();
    expect([r.totalResults, r.itemsPerPage]).toEqual([7, 1]);
  });
  test("POST /Users/.search", async () => {
    const r = await env.scim("/Users/.search", { method: "POST", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'emails.value eq "EVE@example.com"', attributes: ["userName"] } });
    const b = await r.json();
    expect(b.totalResults).toBe(1);
    expect(b.Resources[0]).toEqual({ schemas: [USER_SCHEMA], id: expect.any(String), userName: "Eve@example.com" });
  });
  test("meta and Location", async () => {
    const r = await env.scim("/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "meta@example.com" } });
    const b = await r.json();
    expect(r.headers.get("location")).toBe(`${env.base}/Users/${b.id}`);
    expect(b.meta).toMatchObject({ resourceType: "User", location: `${env.base}/Users/${b.id}`, version: 'W/"1"' });
    expect(Date.parse(b.meta.created)).toBe(Date.parse(b.meta.lastModified));
    expect(r.headers.get("etag")).toBe('W/"1"');
  });
});

describe("ETags", () => {
  test("If-None-Match → 304; If-Match current → write; stale → 412", async () => {
    const env = await setup();
    const u = await user(env, "etag@example.com");
    const g1 = await env.scim(`/Users/${u.id}`);
    const etag = g1.headers.get("etag")!;
    expect(etag).toBe(u.meta.version);
    const nm = await env.scim(`/Users/${u.id}`, { headers: { "If-None-Match": etag } });
    expect(nm.status).toBe(304);
    expect(await nm.text()).toBe("");
    const ok = await env.scim(`/Users/${u.id}`, { method: "PATCH", headers: { "If-Match": etag }, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "x" }] } });
    expect(ok.status).toBe(200);
    const next = ok.headers.get("etag");
    expect(next).not.toBe(etag);
    const stale = await env.scim(`/Users/${u.id}`, { method: "PUT", headers: { "If-Match": etag }, body: { schemas: [USER_SCHEMA], userName: "etag@example.com" } });
    expect(stale.status).toBe(412);
    expect((await env.scim(`/Users/${u.id}`, { headers: { "If-None-Match": etag } })).status).toBe(200);
    // A PATCH that changes nothing (the same title again) keeps the version.
    const noop = await env.scim(`/Users/${u.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "x" }] } });
    expect(noop.headers.get("etag")).toBe(next);
    expect((await env.scim(`/Users/${u.id}`, { method: "DELETE", headers: { "If-Match": next! } })).status).toBe(204);
  });
});

describe("groups", () => {
  test("PUT replaces members (Okta); excludedAttributes=members; user groups computed", async () => {
    const env = await setup();
    const a = await user(env, "a@x");
    const b = await user(env, "b@x");
    const g = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "G", members: [{ value: a.id }] } })).json();
    expect(g.members.map((m: any) => m.value)).toEqual([a.id]);
    expect(g.members[0].$ref).toBe(`${env.base}/Users/${a.id}`);
    const put = await (await env.scim(`/Groups/${g.id}`, { method: "PUT", body: { schemas: [GROUP_SCHEMA], id: g.id, displayName: "G2", members: [{ value: b.id }] } })).json();
    expect(put.displayName).toBe("G2");
    expect(put.members.map((m: any) => m.value)).toEqual([b.id]);
    expect((await (await env.scim(`/Users/${a.id}`)).json()).groups).toBeUndefined();
    expect((await (await env.scim(`/Users/${b.id}`)).json()).groups).toEqual([{ value: g.id, $ref: `${env.base}/Groups/${g.id}`, display: "G2", type: "direct" }]);
    const ex = await (await env.scim(`/Groups/${g.id}?excludedAttributes=members`)).json();
    expect(ex.members).toBeUndefined();
    const count = await env.t.run(async (ctx) => (await ctx.db.get(g.id as any)) as any);
    expect(count.memberCount).toBe(1);
    // Deleting a user removes its memberships.
    expect((await env.scim(`/Users/${b.id}`, { method: "DELETE" })).status).toBe(204);
    const after = await (await env.scim(`/Groups/${g.id}`)).json();
    expect(after.members).toBeUndefined();
  });
  test("group filter on members", async () => {
    const env = await setup();
    const a = await user(env, "a@x");
    await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "With", members: [{ value: a.id }] } });
    await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Without" } });
    const r = await (await env.scim(`/Groups?filter=${encodeURIComponent(`members[value eq "${a.id}"]`)}&excludedAttributes=members`)).json();
    expect(r.Resources.map((g: any) => g.displayName)).toEqual(["With"]);
  });
});

describe("bulk", () => {
  test("bulkId references, per-operation results, failed operations leave no trace", async () => {
    const env = await setup();
    const res = await env.scim("/Bulk", {
      method: "POST",
      body: {
        schemas: [BULK_REQ],
        Operations: [
          { method: "POST", bulkId: "u1", path: "/Users", data: { schemas: [USER_SCHEMA], userName: "bulk1" } },
          { method: "POST", bulkId: "g1", path: "/Groups", data: { schemas: [GROUP_SCHEMA], displayName: "BG", members: [{ value: "bulkId:u1" }] } },
          { method: "POST", bulkId: "bad", path: "/Groups", data: { schemas: [GROUP_SCHEMA], displayName: "Broken", members: [{ value: "nope" }] } },
          { method: "PATCH", path: "/Users/bulkId:u1", data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "T" }] } },
          { method: "POST", bulkId: "u2", path: "/Users", data: { schemas: [USER_SCHEMA], userName: "BULK1" } },
          { method: "DELETE", path: "/Users/bulkId:never" },
        ],
      },
    });
    expect(res.status).toBe(200);
    const b = await res.json();
    expect(b.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]);
    expect(b.Operations.map((o: any) => o.status)).toEqual(["201", "201", "400", "200", "409", "409"]);
    expect(b.Operations[2].response.scimType).toBe("invalidValue");
    expect(b.Operations[4].response.scimType).toBe("uniqueness");
    expect(b.Operations[0].location).toMatch(new RegExp(`^${env.base}/Users/`));
    const snap = JSON.parse(await snapshot(env.t));
    expect(snap.scimGroups.map((g: any) => JSON.parse(g.json).displayName)).toEqual(["BG"]); // "Broken" rolled back
    expect(snap.scimGroupMembers).toHaveLength(1);
    expect(snap.dirs[0]).toEqual({ u: 1, g: 1 });
  });
  test("failOnErrors stops after that many errors", async () => {
    const env = await setup();
    const res = await env.scim("/Bulk", {
      method: "POST",
      body: {
        schemas: [BULK_REQ],
        failOnErrors: 1,
        Operations: [
          { method: "POST", bulkId: "a", path: "/Users", data: { schemas: [USER_SCHEMA] } },
          { method: "POST", bulkId: "b", path: "/Users", data: { schemas: [USER_SCHEMA], userName: "b" } },
        ],
      },
    });
    const b = await res.json();
    expect(b.Operations.map((o: any) => o.status)).toEqual(["400"]);
    expect(JSON.parse(await snapshot(env.t)).scimUsers).toHaveLength(0);
  });
});

describe("content negotiation", () => {
  test("application/json accepted; responses are application/scim+json", async () => {
    const env = await setup();
    const r = await env.scim("/Users", { method: "POST", headers: { "Content-Type": "application/json; charset=utf-8" }, body: { schemas: [USER_SCHEMA], userName: "json@x" } });
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toBe("application/scim+json; charset=utf-8");
  });
});
