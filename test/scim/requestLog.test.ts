// The SCIM request log through convex/http.ts: a row per request on success (in the operation's transaction)
// and for each failure class of an authenticated caller; 401s only against a known directory, one row per
// minute with a count; never a token, a body or filter text; swept after retention; shown on the portal page.
import { afterEach, describe, expect, it, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { SCIM_REQUEST_LOG_RETENTION_MS } from "../../src/component/scim/requestLog";
import { scimOutcomeText } from "../../src/portal/scimLogPage";
import { setup, USER_SCHEMA, type Env } from "./helpers";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

const rows = (env: Env) => env.t.run((ctx) => ctx.db.query("scimRequests").collect());
const recent = (env: Env) => env.t.query(internal.scim.requestLog.recent, { directoryId: env.directoryId });
const tokenId = (env: Env) => env.t.run(async (ctx) => (await ctx.db.query("scimTokens").first())!._id);

describe("SCIM request log", () => {
  it("records a success in the operation's transaction, and each failure class of a valid token; stores no token, body or filter", async () => {
    const env = await setup();
    const created = await env.scim("/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "ada@acme.example", name: { givenName: "Ada" } } });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    expect((await env.scim("/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "ada@acme.example" } })).status).toBe(409);
    expect((await env.scim(`/Users?filter=${encodeURIComponent('userName eq "ada@acme.example" and')}`)).status).toBe(400);
    expect((await env.scim("/Users/nope")).status).toBe(404);
    expect((await env.scim("/Users", { method: "POST", raw: "{", headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect((await env.scim(`/Users/${id}`, { method: "PATCH", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "nosuch", value: 1 }] } })).status).toBe(400);

    const tok = await tokenId(env);
    const log = await recent(env);
    expect(log.map((r) => [r.method, r.path, r.query, r.status, r.scimType])).toEqual([
      ["PATCH", `/Users/${id}`, false, 400, "invalidPath"],
      ["POST", "/Users", false, 415, null],
      ["GET", "/Users/nope", false, 404, null],
      ["GET", "/Users", true, 400, "invalidFilter"],
      ["POST", "/Users", false, 409, "uniqueness"],
      ["POST", "/Users", false, 201, null],
    ]);
    for (const r of log) {
      expect(r.token).toEqual({ tokenId: tok, name: "demo", hint: env.token.slice(0, 9) });
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    const stored = JSON.stringify(await rows(env));
    expect(stored).not.toContain(env.token);
    expect(stored).not.toContain("ada@acme.example");
    expect(stored).not.toContain("Ada");
    expect(stored).not.toContain("userName eq");
    // The 409 rolled its operation back: still one user, and exactly one 201 row.
    expect(await env.t.run(async (ctx) => (await ctx.db.query("scimUsers").collect()).length)).toBe(1);

    // The portal's SCIM page shows them newest first, with the sentence, and no filter text.
    const link = await env.t.mutation(internal.portal.links.create, { group: "acme", intents: ["scim"] });
    const opened = await env.t.fetch("/portal/link", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: new URL(link.url).searchParams.get("t")! }).toString() });
    const html = await (await env.t.fetch("/portal/scim", { headers: { cookie: opened.headers.get("set-cookie")!.split(";")[0]! } })).text();
    const items = html.split('<ul class="rows log"')[1]!.split("<li>").slice(1);
    expect(items).toHaveLength(6);
    expect(items[0]).toContain(`PATCH /Users/${id}`);
    expect(items[3]).toMatch(/GET \/Users\?…<\/code> <code>invalidFilter<\/code>[\s\S]*filter we cannot read/);
    expect(items[4]).toContain("Already exists");
    expect(html).not.toContain("ada@acme.example");
  });

  it("a bad token is logged only against a known directory, one row a minute with a count; the IdP of another directory writes nothing here", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const env = await setup();
    for (let i = 0; i < 5; i++) expect((await env.scim("/Users", { headers: { Authorization: `Bearer wrong-${i}`, "x-forwarded-for": `127.0.0.${10 + i}` } })).status).toBe(401);
    let log = await recent(env);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 401, count: 5, token: null, path: "/Users" });
    // An unknown directory: 401 and no row anywhere (anonymous callers cannot grow the table).
    const unknown = await env.t.fetch("/scim/v2/no-such-dir/Users", { headers: { Authorization: "Bearer wrong" } });
    expect(unknown.status).toBe(401);
    expect(await rows(env)).toHaveLength(1);
    // No token at all is a 401 too, and joins the same row.
    expect((await env.scim("/Users", { headers: { Authorization: "" } })).status).toBe(401);
    expect((await recent(env))[0]!.count).toBe(6);
    // A revoked token of this directory is named (by id and hint, never the token).
    await env.t.mutation(internal.scim.admin.revokeToken, { tokenId: await tokenId(env) });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect((await env.scim("/Users")).status).toBe(401);
    log = await recent(env);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ status: 401, count: 1, token: { hint: env.token.slice(0, 9) } });
    // A body refused before the operation with a token that is not valid: nothing is written.
    expect((await env.scim("/Users", { method: "POST", raw: "{}", headers: { "content-type": "text/plain", Authorization: "Bearer wrong" } })).status).toBe(415);
    expect(await rows(env)).toHaveLength(2);
    expect(JSON.stringify(await rows(env))).not.toContain("wrong");
  });

  it("rows past retention are swept in chained batches", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const env = await setup();
    for (let i = 0; i < 3; i++) expect((await env.scim("/Users?count=1")).status).toBe(200);
    vi.setSystemTime(Date.now() + SCIM_REQUEST_LOG_RETENTION_MS - 1000);
    expect((await env.scim("/Groups")).status).toBe(200);
    vi.setSystemTime(Date.now() + 2000);
    const swept = await env.t.mutation(internal.maintenance.sweep, { limit: 2 });
    expect(swept.scimRequests).toBe(2);
    expect((await env.t.mutation(internal.maintenance.sweep, { limit: 2 })).scimRequests).toBe(1);
    expect((await recent(env)).map((r) => r.path)).toEqual(["/Groups"]);
  });

  it("has a sentence for the common failures", () => {
    expect(scimOutcomeText(409, "uniqueness")).toMatch(/^Already exists/);
    expect(scimOutcomeText(400, "invalidFilter")).toMatch(/filter/);
    expect(scimOutcomeText(401, null)).toMatch(/^Bad token/);
    expect(scimOutcomeText(404, null)).toMatch(/^Not found/);
  });
});
