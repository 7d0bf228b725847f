// Bad-input matrix through convex/http.ts: each case asserts status + scimType and that NOTHING changed
// (every SCIM and identity table compared before/after). Attack/bad cases outnumber the happy paths.
import { beforeAll, describe, expect, test } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { DEMO_TOKEN, ERROR_SCHEMA, GROUP_SCHEMA, PATCH_OP, setup, snapshot, user, USER_SCHEMA, type Env } from "./helpers";

let env: Env;
let alice: Record<string, any>;
let bob: Record<string, any>;
let group: Record<string, any>;

beforeAll(async () => {
  env = await setup();
  alice = await user(env, "alice@example.com", { emails: [{ value: "alice@example.com", primary: true }] });
  bob = await user(env, "bob@example.com");
  const r = await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Eng", members: [{ value: alice.id }] } });
  group = await r.json();
});

type Case = [name: string, req: () => Parameters<Env["scim"]>, status: number, scimType?: string];
const P = (ops: unknown) => ({ schemas: [PATCH_OP], Operations: ops });
const cases: Case[] = [
  ["malformed JSON", () => ["/Users", { method: "POST", raw: '{"schemas":[' }], 400, "invalidSyntax"],
  ["empty body", () => ["/Users", { method: "POST", raw: "" }], 400, "invalidSyntax"],
  ["array body", () => ["/Users", { method: "POST", body: [] }], 400, "invalidSyntax"],
  ["no schemas", () => ["/Users", { method: "POST", body: { userName: "x" } }], 400, "invalidSyntax"],
  ["wrong schemas (Group URN on /Users)", () => ["/Users", { method: "POST", body: { schemas: [GROUP_SCHEMA], userName: "x" } }], 400, "invalidSyntax"],
  ["schemas not an array", () => ["/Users", { method: "POST", body: { schemas: USER_SCHEMA, userName: "x" } }], 400, "invalidSyntax"],
  ["missing userName", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], active: true } }], 400, "invalidValue"],
  ["blank userName", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "  " } }], 400, "invalidValue"],
  ["userName number", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: 42 } }], 400, "invalidValue"],
  ["active not boolean", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "x", active: "maybe" } }], 400, "invalidValue"],
  ["emails a string", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "x", emails: "x@y" } }], 400, "invalidValue"],
  ["name a string", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "x", name: "X Y" } }], 400, "invalidValue"],
  ["userName too long", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "x".repeat(9000) } }], 400, "invalidValue"],
  ["duplicate userName, other case", () => ["/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "ALICE@example.com" } }], 409, "uniqueness"],
  ["duplicate group displayName", () => ["/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "eng" } }], 409, "uniqueness"],
  ["group with unknown member (insert rolled back)", () => ["/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "New", members: [{ value: "nope" }] } }], 400, "invalidValue"],
  ["group with nested group member", () => ["/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "New", members: [{ value: group.id, type: "Group" }] } }], 400, "invalidValue"],
  ["PUT userName of another user", () => [`/Users/${bob.id}`, { method: "PUT", body: { schemas: [USER_SCHEMA], userName: "Alice@Example.com" } }], 409, "uniqueness"],
  ["PUT changing id", () => [`/Users/${bob.id}`, { method: "PUT", body: { schemas: [USER_SCHEMA], id: alice.id, userName: "bob@example.com" } }], 400, "mutability"],
  ["PUT stale If-Match", () => [`/Users/${bob.id}`, { method: "PUT", headers: { "If-Match": 'W/"999"' }, body: { schemas: [USER_SCHEMA], userName: "bob2" } }], 412],
  ["PATCH unknown attribute path", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: "shoeSize", value: 9 }]) }], 400, "invalidPath"],
  ["PATCH bad filter in path", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: 'emails[type eq].value', value: "x" }]) }], 400, "invalidFilter"],
  ["PATCH unclosed bracket", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: 'emails[type eq "w"', value: "x" }]) }], 400, "invalidPath"],
  ["PATCH remove without path", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "remove" }]) }], 400, "noTarget"],
  ["PATCH read-only id", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: "id", value: "x" }]) }], 400, "mutability"],
  ["PATCH unknown op", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "upsert", path: "title", value: "x" }]) }], 400, "invalidSyntax"],
  ["PATCH atomic: 2nd op fails, 1st not applied", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: "title", value: "CEO" }, { op: "replace", path: "active", value: "perhaps" }]) }], 400, "invalidValue"],
  ["PATCH userName onto another user's", () => [`/Users/${bob.id}`, { method: "PATCH", body: P([{ op: "replace", path: "userName", value: "ALICE@EXAMPLE.COM" }]) }], 409, "uniqueness"],
  ["PATCH without Operations", () => [`/Users/${bob.id}`, { method: "PATCH", body: { schemas: [PATCH_OP] } }], 400, "invalidSyntax"],
  ["PATCH wrong schemas", () => [`/Users/${bob.id}`, { method: "PATCH", body: { schemas: [USER_SCHEMA], Operations: [] } }], 400, "invalidSyntax"],
  ["PATCH group: 2nd member unknown, 1st not added", () => [`/Groups/${group.id}`, { method: "PATCH", body: P([{ op: "add", path: "members", value: [{ value: bob.id }, { value: "missing" }] }]) }], 400, "invalidValue"],
  ["PATCH group rename onto duplicate after member add", () => [`/Groups/${group.id}`, { method: "PATCH", body: P([{ op: "add", path: "members", value: [{ value: bob.id }] }, { op: "replace", path: "displayName", value: 42 }]) }], 400, "invalidValue"],
  ["PATCH stale If-Match", () => [`/Users/${bob.id}`, { method: "PATCH", headers: { "If-Match": 'W/"0"' }, body: P([{ op: "replace", path: "title", value: "x" }]) }], 412],
  ["DELETE stale If-Match", () => [`/Users/${bob.id}`, { method: "DELETE", headers: { "If-Match": '"0"' } }], 412],
  ["DELETE unknown", () => ["/Users/k57abcdefghijklmnopqrstuvwxyz12", { method: "DELETE" }], 404],
  ["GET unknown id", () => ["/Groups/nope", {}], 404],
  ["filter syntax", () => [`/Users?filter=${encodeURIComponent('userName eq "x" and')}`, {}], 400, "invalidFilter"],
  ["filter unknown attribute", () => [`/Users?filter=${encodeURIComponent('shoeSize gt 9')}`, {}], 400, "invalidFilter"],
  ["filter gt on boolean", () => [`/Users?filter=${encodeURIComponent("active gt true")}`, {}], 400, "invalidFilter"],
  ["filter bad dateTime", () => [`/Users?filter=${encodeURIComponent('meta.created gt "soon"')}`, {}], 400, "invalidFilter"],
  ["startIndex not a number", () => ["/Users?startIndex=abc", {}], 400, "invalidValue"],
  ["count not a number", () => ["/Users?count=1e3", {}], 400, "invalidValue"],
  ["sortOrder unknown", () => ["/Users?sortBy=userName&sortOrder=sideways", {}], 400, "invalidValue"],
  ["sortBy unknown", () => ["/Users?sortBy=shoeSize", {}], 400, "invalidValue"],
  ["oversize body", () => ["/Users", { method: "POST", raw: JSON.stringify({ schemas: [USER_SCHEMA], userName: "big", title: "x".repeat(1_100_000) }) }], 413],
  ["unsupported content type", () => ["/Users", { method: "POST", headers: { "Content-Type": "text/plain" }, body: { schemas: [USER_SCHEMA], userName: "ct" } }], 415],
  ["method not allowed on a user", () => [`/Users/${bob.id}`, { method: "POST", body: { schemas: [USER_SCHEMA], userName: "x" } }], 405],
  ["method not allowed on discovery", () => ["/ServiceProviderConfig", { method: "PUT", body: {} }], 405],
  ["POST to /Schemas", () => ["/Schemas", { method: "POST", body: {} }], 405],
  ["unknown endpoint", () => ["/Widgets", {}], 404],
  ["bulk wrong schemas", () => ["/Bulk", { method: "POST", body: { schemas: [USER_SCHEMA], Operations: [] } }], 400, "invalidSyntax"],
  ["bulk too many operations", () => ["/Bulk", { method: "POST", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: Array.from({ length: 101 }, (_, i) => ({ method: "POST", bulkId: `b${i}`, path: "/Users", data: { schemas: [USER_SCHEMA], userName: `bulk${i}` } })) } }], 413],
  ["bulk operation without bulkId", () => ["/Bulk", { method: "POST", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [{ method: "POST", path: "/Users", data: { schemas: [USER_SCHEMA], userName: "nb" } }] } }], 400, "invalidSyntax"],
  ["no token", () => ["/Users", { headers: { Authorization: "" } }], 401],
  ["wrong token", () => ["/Users", { headers: { Authorization: "Bearer scim_wrong_token_value" } }], 401],
  ["Basic auth", () => ["/Users", { headers: { Authorization: `Basic ${btoa("a:" + DEMO_TOKEN)}` } }], 401],
];

describe("bad-input matrix: typed error, SCIM error body, nothing written", () => {
  test.each(cases)("%s", async (_name, req, status, scimType) => {
    const before = await snapshot(env.t);
    const res = await env.scim(...req());
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    const body = await res.json();
    expect(body.schemas).toEqual([ERROR_SCHEMA]);
    expect(body.status).toBe(String(status));
    expect(typeof body.detail).toBe("string");
    if (scimType) expect(body.scimType).toBe(scimType);
    // Never echo the token or the raw oversize body.
    expect(JSON.stringify(body)).not.toContain(DEMO_TOKEN);
    expect(JSON.stringify(body).length).toBeLessThan(1000);
    expect(await snapshot(env.t)).toBe(before);
  });
});

describe("tokens", () => {
  test("a token reaches only its own directory; revoked and expired tokens fail; rotation overlap works", async () => {
    const other = await env.t.run(async (ctx) => {
      const g = await ctx.db.insert("groups", { slug: "other", name: "Other", policy: { defaultRole: "member" }, createdAt: 0 });
      return g;
    });
    const d2 = await env.t.mutation(internal.scim.admin.createDirectory, { groupId: other, name: "Other", slug: "other-dir" });
    const t2 = await env.t.mutation(internal.scim.admin.mintToken, { directoryId: d2.directoryId });
    // t2 on the first directory → 401; on its own → 200.
    expect((await env.scim("/Users", { headers: { Authorization: `Bearer ${t2.token}` } })).status).toBe(401);
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${t2.token}` } })).status).toBe(200);
    // Demo token on the other directory → 401.
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${DEMO_TOKEN}` } })).status).toBe(401);
    // Rotation: a second token works alongside the first, then the first is revoked.
    const t3 = await env.t.mutation(internal.scim.admin.mintToken, { directoryId: d2.directoryId, name: "next" });
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${t3.token}` } })).status).toBe(200);
    await env.t.mutation(internal.scim.admin.revokeToken, { tokenId: t2.tokenId });
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${t2.token}` } })).status).toBe(401);
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${t3.token}` } })).status).toBe(200);
    // Expired.
    const t4 = await env.t.mutation(internal.scim.admin.mintToken, { directoryId: d2.directoryId, expiresAt: Date.now() - 1 });
    expect((await env.t.fetch("/scim/v2/other-dir/Users", { headers: { Authorization: `Bearer ${t4.token}` } })).status).toBe(401);
    // Stored hashed, with lastUsedAt; plaintext appears nowhere.
    const rows = await env.t.run((ctx) => ctx.db.query("scimTokens").collect());
    expect(JSON.stringify(rows)).not.toContain(t3.token);
    expect(rows.find((r) => r._id === t3.tokenId)?.lastUsedAt).toBeTypeOf("number");
    const listed = await env.t.query(internal.scim.admin.listDirectories, {});
    expect(JSON.stringify(listed)).not.toContain(t3.token);
  });
});
