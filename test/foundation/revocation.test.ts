// Issue 9 items 5, 7 and 11 through convex/http.ts: RFC 7662 introspection reports dead sessions, every way a
// session dies revokes it (with a session.revoked event) and stops refresh at once, refresh within the grace
// window is idempotent (one chain per session), and /sso/authorize error redirects carry `iss` (RFC 9207).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { APP, exchange, form, newGateway, pkcePair, refresh, seedGroupAndApp, signIn, type TestGateway } from "../helpers";

const ISSUER = "https://gw.example.test";

let t: TestGateway;
let groupId: Id<"groups">;
beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t);
});
afterEach(() => vi.useRealTimers());

async function session(profile = {}) {
  const c = await signIn(t, groupId, profile);
  const tokens = await (await exchange(t, c.code, c.verifier)).json();
  return { ...c, ...tokens } as typeof c & { access_token: string; refresh_token: string };
}

const introspect = (token: string, clientId = APP.clientId) => t.fetch("/oauth/introspect", form({ token, client_id: clientId }));

async function revokedEvents() {
  return t.run((ctx) => ctx.db.query("events").collect()).then((rows) => rows.filter((e) => e.type === "session.revoked"));
}

describe("RFC 7662 introspection", () => {
  test("discovery advertises the endpoint", async () => {
    const doc = await (await t.fetch("/.well-known/openid-configuration")).json();
    expect(doc.introspection_endpoint).toBe(`${ISSUER}/oauth/introspect`);
  });

  test("a live token is active with its own standard claims; sign-out makes it inactive", async () => {
    const s = await session();
    const res = await introspect(s.access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toMatchObject({ active: true, client_id: APP.clientId, token_type: "Bearer", sub: s.userId, sid: s.sessionId, iss: ISSUER, aud: APP.clientId, group_id: groupId });
    expect(body.exp).toBeGreaterThan(body.iat);
    expect((await t.fetch("/oauth/revoke", form({ token: s.refresh_token, client_id: APP.clientId }))).status).toBe(200);
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
    expect(await revokedEvents()).toHaveLength(1);
  });

  test("another app's client_id, a forged or garbage token, and a refresh token are all inactive", async () => {
    const s = await session();
    await t.mutation(internal.admin.seed.apply, { groups: [], apps: [{ clientId: "other-app", name: "Other", redirectUris: ["https://other.example.test/cb"] }] });
    expect(await (await introspect(s.access_token, "other-app")).json()).toEqual({ active: false });
    const [h, p] = s.access_token.split(".");
    expect(await (await introspect(`${h}.${p}.AAAA`)).json()).toEqual({ active: false });
    expect(await (await introspect("garbage")).json()).toEqual({ active: false });
    expect(await (await introspect(s.refresh_token)).json()).toEqual({ active: false });
  });

  test("the caller must name a registered client: no client_id is 401 invalid_client-shaped JSON", async () => {
    const s = await session();
    const missing = await t.fetch("/oauth/introspect", form({ token: s.access_token }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
    const unknown = await introspect(s.access_token, "nobody");
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: "invalid_client" });
  });

  test("an expired session is inactive even while the JWT is unexpired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const s = await session();
    await t.run(async (ctx) => ctx.db.patch(s.sessionId as Id<"sessions">, { expiresAt: Date.now() - 1 }));
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
  });
});

describe("every way a session dies revokes it and stops refresh at once", () => {
  async function withConnection(s: { sessionId?: string }) {
    return t.run(async (ctx) => {
      const now = Date.now();
      const connectionId = await ctx.db.insert("connections", { groupId, kind: "oidc", name: "IdP", status: "active", config: {}, createdAt: now, updatedAt: now });
      await ctx.db.patch(s.sessionId as Id<"sessions">, { connectionId });
      return connectionId;
    });
  }

  test("disabling the connection: refresh fails, introspection inactive, session.revoked logged", async () => {
    const s = await session();
    const connectionId = await withConnection(s);
    await t.mutation(internal.oauth.grants.setConnectionStatus, { connectionId, status: "disabled" });
    expect(await (await refresh(t, s.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
    const events = await revokedEvents();
    expect(events.map((e) => e.data.reason)).toEqual(["connection disabled"]);
  });

  test("disabling a connection with more sessions than one batch revokes them all through scheduled continuations", async () => {
    vi.useFakeTimers();
    const s = await session();
    const connectionId = await withConnection(s);
    await t.run(async (ctx) => {
      const base = (await ctx.db.get(s.sessionId as Id<"sessions">))!;
      const { _id, _creationTime, ...fields } = base;
      for (let i = 0; i < 450; i++) await ctx.db.insert("sessions", { ...fields, connectionId });
    });
    await t.mutation(internal.oauth.grants.setConnectionStatus, { connectionId, status: "disabled" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const sessions = await t.run((ctx) => ctx.db.query("sessions").collect());
    expect(sessions.filter((x) => x.revokedAt === undefined)).toHaveLength(0);
    expect(await revokedEvents()).toHaveLength(451);
  });

  test("a connection disabled behind the gateway's back (status patched) still stops refresh", async () => {
    const s = await session();
    const connectionId = await withConnection(s);
    await t.run((ctx) => ctx.db.patch(connectionId, { status: "disabled" }));
    expect(await (await refresh(t, s.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
  });

  test("disabling the group: refresh fails at once, introspection inactive, sign-in refused, session.revoked logged", async () => {
    const s = await session();
    await t.mutation(internal.admin.groups.setStatus, { groupId, status: "disabled" });
    expect(await (await refresh(t, s.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
    expect((await revokedEvents()).map((e) => e.data.reason)).toEqual(["group disabled"]);
    await expect(signIn(t, groupId, { subject: "someone-else" })).rejects.toThrow(/group_disabled/);
    await t.mutation(internal.admin.groups.setStatus, { groupId, status: "active" });
    const again = await session({ subject: "someone-else" });
    expect(await (await introspect(again.access_token)).json()).toMatchObject({ active: true });
  });

  test("a group disabled behind the gateway's back (patched) still stops refresh before any batch ran", async () => {
    const s = await session();
    await t.run((ctx) => ctx.db.patch(groupId, { disabledAt: Date.now() }));
    expect(await (await refresh(t, s.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
  });

  test("deleting the group revokes with an event; the token is inactive", async () => {
    const s = await session();
    await t.mutation(internal.admin.groups.remove, { groupId });
    expect(await (await refresh(t, s.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
    expect((await revokedEvents()).map((e) => e.data.reason)).toEqual(["group deleted"]);
  });

  test("removing the membership revokes with an event", async () => {
    const s = await session();
    const membershipId = await t.run(async (ctx) => (await ctx.db.query("memberships").first())!._id);
    await t.mutation(internal.admin.memberships.remove, { membershipId });
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
    expect((await revokedEvents()).map((e) => e.data.reason)).toEqual(["membership removed"]);
  });

  test("a membership deactivated in place makes the token inactive", async () => {
    const s = await session();
    await t.run(async (ctx) => ctx.db.patch((await ctx.db.query("memberships").first())!._id, { status: "inactive" }));
    expect(await (await introspect(s.access_token)).json()).toEqual({ active: false });
  });
});

describe("refresh grace without forks", () => {
  test("a spent token presented 5 times inside the window returns the same successor; one live chain", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const s = await session();
    const first = await (await refresh(t, s.refresh_token)).json();
    const again: string[] = [];
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(Date.now() + 1_000);
      const res = await refresh(t, s.refresh_token);
      expect(res.status).toBe(200);
      again.push((await res.json()).refresh_token);
    }
    expect(new Set(again)).toEqual(new Set([first.refresh_token]));
    const live = await t.run(async (ctx) => (await ctx.db.query("refreshTokens").collect()).filter((r) => r.usedAt === undefined));
    expect(live).toHaveLength(1);
    // The plain successor is never stored: only its hash and a sealed copy.
    const rows = await t.run((ctx) => ctx.db.query("refreshTokens").collect());
    expect(JSON.stringify(rows)).not.toContain(first.refresh_token);
  });

  test("after the chain moved on, the old spent token inside its window gets the current head", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const s = await session();
    const second = await (await refresh(t, s.refresh_token)).json();
    const third = await (await refresh(t, second.refresh_token)).json();
    vi.setSystemTime(Date.now() + 2_000);
    const replay = await (await refresh(t, s.refresh_token)).json();
    expect(replay.refresh_token).toBe(third.refresh_token);
    expect((await refresh(t, third.refresh_token)).status).toBe(200);
  });
});

describe("RFC 9207 iss on /sso/authorize error redirects", () => {
  test("an error sent back to the app's redirect_uri names the issuer", async () => {
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s", code_challenge: challenge, code_challenge_method: "S256", group: "no-such-group" });
    const res = await t.fetch(`/sso/authorize?${q}`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.searchParams.get("error")).toBe("invalid_request");
    expect(to.searchParams.get("iss")).toBe(ISSUER);
    expect(to.searchParams.get("state")).toBe("s");
  });
});
