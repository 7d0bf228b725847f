// The issuer: discovery, JWKS, code exchange with PKCE, refresh rotation with reuse detection, revocation,
// and the RFC 6749 §5.2 error matrix (each bad request answers its error and writes nothing).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { APP, exchange, form, newGateway, refresh, seedGroupAndApp, signIn, snapshot, type TestGateway } from "../helpers";

const ISSUER = "https://gw.example.test";

let t: TestGateway;
let groupId: Awaited<ReturnType<typeof seedGroupAndApp>>;
beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t);
});
afterEach(() => vi.useRealTimers());

async function verify(token: string) {
  const jwks = await (await t.fetch("/.well-known/jwks.json")).json();
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: APP.clientId, algorithms: ["RS256"] });
}

describe("discovery", () => {
  test("openid-configuration names our endpoints under the site URL", async () => {
    const res = await t.fetch("/.well-known/openid-configuration");
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      authorization_endpoint: `${ISSUER}/sso/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      id_token_signing_alg_values_supported: ["RS256"],
      code_challenge_methods_supported: ["S256"],
    });
  });

  test("jwks publishes public keys only, with a short cache lifetime", async () => {
    const res = await t.fetch("/.well-known/jwks.json");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d{1,4}\b/);
    const { keys } = await res.json();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
      expect(k.kid).toBeTruthy();
      for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(k).not.toHaveProperty(secret);
    }
  });
});

describe("authorization_code grant", () => {
  test("a code exchanges once for an RS256 session JWT with the documented claims", async () => {
    const { code, verifier, state, userId, sessionId } = await signIn(t, groupId);
    expect(state).toBe("st-1");
    const res = await exchange(t, code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const header = decodeProtectedHeader(body.access_token);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(header.kid).toBeTruthy();
    const { payload } = await verify(body.access_token);
    expect(payload).toMatchObject({
      iss: ISSUER,
      sub: userId,
      aud: APP.clientId,
      azp: APP.clientId,
      sid: sessionId,
      group_id: groupId,
      group: "acme",
      role: "admin",
      roles: ["admin"],
      auth_method: "dev",
      email: "Ada@Acme.example",
      email_verified: true,
      name: "Ada Lovelace",
    });
    expect(typeof payload.aud).toBe("string");
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  test("reusing a code fails and revokes the session it created", async () => {
    const { code, verifier } = await signIn(t, groupId);
    const first = await (await exchange(t, code, verifier)).json();
    const again = await exchange(t, code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
    const r = await refresh(t, first.refresh_token);
    expect(await r.json()).toMatchObject({ error: "invalid_grant" });
  });

  test("an expired code is refused (codes live at most 60 s)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { code, verifier } = await signIn(t, groupId);
    vi.setSystemTime(Date.now() + 61_000);
    const res = await exchange(t, code, verifier);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: "the code has expired" });
  });

  const badExchanges: Array<[string, (c: { code: string; verifier: string }) => RequestInit, number, string]> = [
    ["wrong verifier", (c) => form({ grant_type: "authorization_code", client_id: APP.clientId, code: c.code, redirect_uri: APP.redirectUri, code_verifier: "x".repeat(43) }), 400, "invalid_grant"],
    ["verifier too short", (c) => form({ grant_type: "authorization_code", client_id: APP.clientId, code: c.code, redirect_uri: APP.redirectUri, code_verifier: "short" }), 400, "invalid_request"],
    ["missing verifier", (c) => form({ grant_type: "authorization_code", client_id: APP.clientId, code: c.code, redirect_uri: APP.redirectUri }), 400, "invalid_request"],
    ["redirect_uri mismatch", (c) => form({ grant_type: "authorization_code", client_id: APP.clientId, code: c.code, redirect_uri: APP.redirectUri + "x", code_verifier: c.verifier }), 400, "invalid_grant"],
    ["unknown client", (c) => form({ grant_type: "authorization_code", client_id: "nobody", code: c.code, redirect_uri: APP.redirectUri, code_verifier: c.verifier }), 401, "invalid_client"],
    ["unknown code", (c) => form({ grant_type: "authorization_code", client_id: APP.clientId, code: "nope", redirect_uri: APP.redirectUri, code_verifier: c.verifier }), 400, "invalid_grant"],
    ["unsupported grant", () => form({ grant_type: "password", client_id: APP.clientId }), 400, "unsupported_grant_type"],
    ["missing grant_type", () => form({ client_id: APP.clientId }), 400, "invalid_request"],
    ["JSON body", (c) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "authorization_code", code: c.code }) }), 400, "invalid_request"],
    ["no body", () => ({ method: "POST" }), 400, "invalid_request"],
    ["repeated parameter", (c) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `grant_type=authorization_code&client_id=${APP.clientId}&code=${c.code}&code=${c.code}&redirect_uri=${encodeURIComponent(APP.redirectUri)}&code_verifier=${c.verifier}` }), 400, "invalid_request"],
    ["oversized body", () => form({ grant_type: "authorization_code", junk: "x".repeat(20_000) }), 400, "invalid_request"],
    ["malformed percent-encoding", () => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=%E0%A4%A&client_id=%" }), 400, "unsupported_grant_type"],
  ];
  test.each(badExchanges)("%s → %s %s, nothing written, the code still works", async (_name, init, status, error) => {
    const c = await signIn(t, groupId);
    const before = await snapshot(t);
    const res = await t.fetch("/oauth/token", init(c));
    expect(res.status).toBe(status);
    expect((await res.json()).error).toBe(error);
    expect(await snapshot(t)).toEqual(before);
    expect((await exchange(t, c.code, c.verifier)).status).toBe(200);
  });

  test("a code cannot be redeemed by another app", async () => {
    await t.mutation((await import("../../src/component/_generated/api")).internal.admin.apps.create, {
      clientId: "other-app",
      name: "Other",
      redirectUris: [APP.redirectUri],
    });
    const c = await signIn(t, groupId);
    const res = await exchange(t, c.code, c.verifier, { client_id: "other-app" });
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });
});

describe("refresh_token grant", () => {
  async function tokens() {
    const c = await signIn(t, groupId);
    return (await exchange(t, c.code, c.verifier)).json();
  }

  test("each refresh rotates the token and mints a fresh JWT", async () => {
    const first = await tokens();
    const res = await refresh(t, first.refresh_token);
    expect(res.status).toBe(200);
    const second = await res.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const { payload } = await verify(second.access_token);
    expect(payload.role).toBe("admin");
    expect((await refresh(t, second.refresh_token)).status).toBe(200);
  });

  test("a spent token presented within the grace window (concurrent tabs) still refreshes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const first = await tokens();
    expect((await refresh(t, first.refresh_token)).status).toBe(200);
    vi.setSystemTime(Date.now() + 5_000);
    const tab2 = await refresh(t, first.refresh_token);
    expect(tab2.status).toBe(200);
  });

  test("a spent token presented after the grace window revokes the whole session", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const first = await tokens();
    const second = await (await refresh(t, first.refresh_token)).json();
    vi.setSystemTime(Date.now() + 11_000);
    const reuse = await refresh(t, first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
    // The legitimate holder's newer token dies with the session.
    expect(await (await refresh(t, second.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    const sessions = await t.run((ctx) => ctx.db.query("sessions").collect());
    expect(sessions[0]!.revokedReason).toBe("refresh token reused");
  });

  test("a session past its inactivity limit cannot refresh", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const first = await tokens();
    vi.setSystemTime(Date.now() + 31 * 24 * 3600 * 1000);
    expect(await (await refresh(t, first.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
  });

  test("a deactivated membership stops refresh", async () => {
    const first = await tokens();
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("memberships").first())!;
      await ctx.db.patch(m._id, { status: "inactive" });
    });
    expect(await (await refresh(t, first.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
  });

  test("unknown and malformed refresh tokens answer invalid_grant and write nothing", async () => {
    await tokens();
    const before = await snapshot(t);
    for (const bad of ["nope", "x".repeat(5000), "'; drop table"]) {
      const res = await refresh(t, bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("invalid_grant");
    }
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("revocation (RFC 7009)", () => {
  test("revoking a refresh token ends the session; unknown tokens answer 200", async () => {
    const c = await signIn(t, groupId);
    const tok = await (await exchange(t, c.code, c.verifier)).json();
    const res = await t.fetch("/oauth/revoke", form({ client_id: APP.clientId, token: tok.refresh_token, token_type_hint: "refresh_token" }));
    expect(res.status).toBe(200);
    expect(await (await refresh(t, tok.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect((await t.fetch("/oauth/revoke", form({ client_id: APP.clientId, token: "unknown" }))).status).toBe(200);
  });

  test("bad revocation requests answer their error", async () => {
    expect((await t.fetch("/oauth/revoke", form({ client_id: "nobody", token: "x" }))).status).toBe(401);
    const r = await t.fetch("/oauth/revoke", form({ client_id: APP.clientId }));
    expect(await r.json()).toMatchObject({ error: "invalid_request" });
    const r2 = await t.fetch("/oauth/revoke", form({ client_id: APP.clientId, token: "x", token_type_hint: "id_token" }));
    expect(await r2.json()).toMatchObject({ error: "unsupported_token_type" });
  });
});

describe("CORS", () => {
  test("registered app origins get CORS headers; others do not", async () => {
    const ok = await t.fetch("/oauth/token", { method: "OPTIONS", headers: { origin: APP.origin } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP.origin);
    const no = await t.fetch("/oauth/token", { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(no.status).toBe(403);
    const c = await signIn(t, groupId);
    const res = await t.fetch("/oauth/token", form({ grant_type: "authorization_code", client_id: APP.clientId, code: c.code, redirect_uri: APP.redirectUri, code_verifier: c.verifier }, { origin: APP.origin }));
    expect(res.headers.get("access-control-allow-origin")).toBe(APP.origin);
  });
});

describe("maintenance sweep", () => {
  test("deletes expired requests, codes and refresh tokens, keeps live ones", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const live = await signIn(t, groupId);
    const tok = await (await exchange(t, live.code, live.verifier)).json();
    await signIn(t, groupId); // an unexchanged code that will expire
    vi.setSystemTime(Date.now() + 2 * 60_000);
    const { internal } = await import("../../src/component/_generated/api");
    const swept = await t.mutation(internal.maintenance.sweep, {});
    expect(swept).toEqual({ authRequests: 0, authCodes: 2, refreshTokens: 0, ssoTraces: 0, rateLimits: 0, scimRequests: 0 });
    expect((await refresh(t, tok.refresh_token)).status).toBe(200);
  });
});
