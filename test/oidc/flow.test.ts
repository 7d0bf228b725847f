// OIDC sign-in against a real OP (node-oidc-provider in-process on 127.0.0.1), driven through convex/http.ts.
import { afterEach, describe, expect, it } from "vitest";
import { APP, snapshot } from "../helpers";
import { internal } from "../../src/component/_generated/api";
import { authorize, callback, counts, expectOnlyTrace, loginAtOp, setupWithOp, type OpHarness } from "./harness";

let h: OpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("happy path", () => {
  for (const method of ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const) {
    it(`signs in with ${method}, JIT user + membership with roles from rules`, async () => {
      h = await setupWithOp({ method, roleRules: [{ value: "Admins", role: "admin" }] });
      const authUrl = await authorize(h, { login_hint: "ada@acme.example" });
      expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
      expect(authUrl.searchParams.get("login_hint")).toBe("ada@acme.example");
      const cb = await loginAtOp(authUrl, { email: "ada@acme.example", name: "Ada", groups: ["Admins", "Sales"] });
      expect(cb.searchParams.get("iss")).toBe(h.issuer); // RFC 9207 from the OP
      const res = await callback(h, cb);
      expect(res.status, await res.clone().text()).toBe(302);
      const to = new URL(res.headers.get("location")!);
      expect(`${to.origin}${to.pathname}`).toBe(APP.redirectUri);
      expect(to.searchParams.get("state")).toBe("app-state-1");
      const c = await counts(h.t);
      expect(c).toMatchObject({ users: 1, identities: 1, memberships: 1, sessions: 1, authCodes: 1, usedStates: 1, traces: 0 });
      const m = await h.t.run(async (ctx) => ctx.db.query("memberships").first());
      expect(m).toMatchObject({ roles: ["admin"], source: "jit" });
      const u = await h.t.run(async (ctx) => ctx.db.query("users").first());
      expect(u).toMatchObject({ email: "ada@acme.example", name: "Ada", emailVerified: true });
    });
  }
});

describe("private_key_jwt variants", () => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ["ES256 key", { clientKeyAlg: "ES256" }],
    ["EdDSA key", { clientKeyAlg: "EdDSA" }],
    ["PS256 key, assertion aud = issuer", { clientKeyAlg: "PS256", clientAssertionAudience: "issuer" }],
  ];
  for (const [name, config] of variants) {
    it(`signs in with private_key_jwt: ${name}`, async () => {
      h = await setupWithOp({ method: "private_key_jwt", config });
      const cb = await loginAtOp(await authorize(h), { email: "ada@acme.example", groups: [] });
      const res = await callback(h, cb);
      expect(res.status, await res.clone().text()).toBe(302);
      expect(await counts(h.t)).toMatchObject({ sessions: 1, traces: 0 });
    });
  }

  it("the OP refuses an assertion signed with a key it does not know (invalid_client), nothing written", async () => {
    h = await setupWithOp({ method: "private_key_jwt" });
    const cb = await loginAtOp(await authorize(h));
    // Rotate the gateway key (ES256) without telling the OP.
    await h.t.action(internal.oidc.admin.saveConnection, {
      groupId: h.groupId,
      name: "Test OP",
      connectionId: h.connectionId,
      config: { issuer: h.issuer, clientId: "gateway-rp", tokenEndpointAuthMethod: "private_key_jwt", clientKeyAlg: "ES256", scopes: ["openid", "email", "profile", "groups"] },
    });
    const { trace } = await expectOnlyTrace(h.t, "token_endpoint_error", () => callback(h!, cb));
    expect(trace.detail).toContain("invalid_client");
  });
});

describe("state", () => {
  it("refuses an unknown state", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.set("state", "not-a-state-we-issued");
    await expectOnlyTrace(h.t, "state_invalid", () => callback(h!, cb));
  });

  it("refuses a callback without state", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.delete("state");
    await expectOnlyTrace(h.t, "state_invalid", () => callback(h!, cb));
  });

  it("refuses a replayed callback (state is single use) and writes no second session", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    expect((await callback(h, cb)).status).toBe(302);
    await expectOnlyTrace(h.t, "state_used", () => callback(h!, cb));
    expect(await counts(h.t)).toMatchObject({ sessions: 1, authCodes: 1 });
  });

  it("refuses an expired state", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    await h.t.run(async (ctx) => {
      const s = (await ctx.db.query("oidcStates").first())!;
      await ctx.db.patch(s._id, { expiresAt: Date.now() - 1 });
    });
    await expectOnlyTrace(h.t, "state_invalid", () => callback(h!, cb));
  });

  it("refuses a state issued for another connection", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    const otherId = await h.t.run(async (ctx) => {
      const c = (await ctx.db.get(h!.connectionId))!;
      const { _id, _creationTime, ...rest } = c;
      return ctx.db.insert("connections", { ...rest, name: "Other" });
    });
    const forged = new URL(cb.href.replace(h.connectionId, otherId));
    await expectOnlyTrace(h.t, "state_invalid", () => callback(h!, forged));
  });
});

describe("authorization response", () => {
  it("turns the user's Deny at the IdP (access_denied) into an error page + trace", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h), { email: "ada@acme.example", deny: true });
    expect(cb.searchParams.get("error")).toBe("access_denied");
    const { trace, html } = await expectOnlyTrace(h.t, "idp_error", () => callback(h!, cb));
    expect(trace.detail).toContain("access_denied");
    expect(html).toContain("did not complete the sign-in");
  });

  for (const error of ["login_required", "interaction_required", "server_error", "temporarily_unavailable", "<script>x</script>"]) {
    it(`turns IdP error ${JSON.stringify(error)} into idp_error without echoing it`, async () => {
      h = await setupWithOp({ method: "client_secret_basic" });
      const authUrl = await authorize(h);
      const cb = new URL(h.redirectUri);
      cb.searchParams.set("error", error);
      cb.searchParams.set("error_description", "<img src=x onerror=alert(1)>");
      cb.searchParams.set("state", authUrl.searchParams.get("state")!);
      const { html } = await expectOnlyTrace(h.t, "idp_error", () => callback(h!, cb));
      expect(html).not.toContain("<img");
      expect(html).not.toContain("<script>x");
    });
  }

  it("refuses an RFC 9207 iss parameter that is not the issuer (mix-up attack)", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.set("iss", "https://attacker.example.test");
    await expectOnlyTrace(h.t, "iss_mismatch", () => callback(h!, cb));
  });

  it("refuses a missing iss when the OP advertises authorization_response_iss_parameter_supported", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.delete("iss");
    await expectOnlyTrace(h.t, "iss_mismatch", () => callback(h!, cb));
  });

  it("refuses a callback without code", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.delete("code");
    await expectOnlyTrace(h.t, "response_invalid", () => callback(h!, cb));
  });

  it("maps a tampered code (invalid_grant at the OP) to token_endpoint_error", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.set("code", cb.searchParams.get("code")!.slice(0, -2) + "xx");
    const { trace } = await expectOnlyTrace(h.t, "token_endpoint_error", () => callback(h!, cb));
    expect(trace.detail).toContain("invalid_grant");
  });
});

describe("token endpoint failures", () => {
  it("turns a token endpoint 500 into an error page (502), never a 500", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    h.net.overrides.push((req, res) => {
      if (!req.url?.startsWith("/_idp/oidc/token")) return false;
      res.writeHead(500, { "content-type": "text/html" }).end("<h1>Internal Server Error</h1>");
      return true;
    });
    const { res } = await expectOnlyTrace(h.t, "token_endpoint_error", () => callback(h!, cb));
    expect(res.status).toBe(502);
  });

  it("turns a token endpoint that never answers into idp_timeout", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    process.env.GATEWAY_OIDC_TIMEOUT_MS = "300";
    h.net.overrides.push((req) => req.url?.startsWith("/_idp/oidc/token") ?? false); // swallow: no answer
    const started = Date.now();
    try {
      await expectOnlyTrace(h.t, "idp_timeout", () => callback(h!, cb));
    } finally {
      delete process.env.GATEWAY_OIDC_TIMEOUT_MS;
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("refuses when the OP rejects the client (wrong secret → invalid_client)", async () => {
    h = await setupWithOp({ method: "client_secret_post" });
    const cb = await loginAtOp(await authorize(h));
    const wrong = await h.t.action(internal.oidc.admin.saveConnection, {
      groupId: h.groupId,
      name: "Test OP",
      connectionId: h.connectionId,
      config: { issuer: h.issuer, clientId: "gateway-rp", tokenEndpointAuthMethod: "client_secret_post", clientSecret: "wrong", scopes: ["openid", "email", "profile", "groups"] },
    });
    expect(wrong.connectionId).toBe(h.connectionId);
    const { trace } = await expectOnlyTrace(h.t, "token_endpoint_error", () => callback(h!, cb));
    expect(trace.detail).toContain("invalid_client");
    expect(trace.detail).not.toContain("wrong");
  });
});

describe("connection JWKS for private_key_jwt", () => {
  it("publishes only the public key", async () => {
    h = await setupWithOp({ method: "private_key_jwt" });
    const res = await h.t.fetch(new URL(h.jwksUri!).pathname);
    const body = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    for (const p of ["d", "p", "q", "dp", "dq", "qi"]) expect(body.keys[0]).not.toHaveProperty(p);
    const stored = await h.t.run(async (ctx) => (await ctx.db.get(h!.connectionId))!.config);
    expect(JSON.stringify(stored)).not.toMatch(/"d":/);
  });

  it("answers 404 for a SAML or unknown connection", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    expect((await h.t.fetch(`/sso/oidc/${h.connectionId}/jwks.json`)).status).toBe(404);
    expect((await h.t.fetch(`/sso/oidc/nope/jwks.json`)).status).toBe(404);
  });
});

describe("callback edge cases", () => {
  it("an unknown connection in the path is a 404 that writes nothing at all", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const before = await snapshot(h.t);
    for (const path of ["/sso/oidc/nope/callback?code=x&state=y", "/sso/oidc/../callback", `/sso/oidc/${h.connectionId}/other`, "/sso/oidc/"]) {
      const res = await h.t.fetch(path);
      expect(res.status, path).toBe(404);
    }
    expect(await snapshot(h.t)).toEqual(before);
  });

  it("an oversized state is refused as state_invalid", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    cb.searchParams.set("state", "x".repeat(5000));
    await expectOnlyTrace(h.t, "state_invalid", () => callback(h!, cb));
  });

  it("a connection disabled while the person was at the IdP: signin_failed, state not consumed", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    await h.t.run(async (ctx) => ctx.db.patch(h!.connectionId, { status: "disabled" }));
    const { trace } = await expectOnlyTrace(h.t, "signin_failed", () => callback(h!, cb));
    expect(trace.detail).toContain("connection_disabled");
  });

  it("an app sign-in request that expired meanwhile: signin_failed (request_expired), nothing written", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    const cb = await loginAtOp(await authorize(h));
    await h.t.run(async (ctx) => {
      const r = (await ctx.db.query("authRequests").first())!;
      await ctx.db.patch(r._id, { expiresAt: Date.now() - 1 });
    });
    const { trace } = await expectOnlyTrace(h.t, "signin_failed", () => callback(h!, cb));
    expect(trace.detail).toContain("request_expired");
  });

  it("a deactivated member is refused (membership_inactive) even with a valid IdP login", async () => {
    h = await setupWithOp({ method: "client_secret_basic" });
    expect((await callback(h, await loginAtOp(await authorize(h), { email: "ada@acme.example" }))).status).toBe(302);
    await h.t.run(async (ctx) => {
      const m = (await ctx.db.query("memberships").first())!;
      await ctx.db.patch(m._id, { status: "inactive" });
    });
    const cb = await loginAtOp(await authorize(h), { email: "ada@acme.example" });
    const { trace } = await expectOnlyTrace(h.t, "signin_failed", () => callback(h!, cb));
    expect(trace.detail).toContain("membership_inactive");
  });

  it("the second login of the same person reuses the user and updates roles from fresh groups", async () => {
    h = await setupWithOp({ method: "client_secret_basic", roleRules: [{ value: "Admins", role: "admin" }] });
    expect((await callback(h, await loginAtOp(await authorize(h), { email: "ada@acme.example", groups: ["Admins"] }))).status).toBe(302);
    expect((await callback(h, await loginAtOp(await authorize(h), { email: "ada@acme.example", groups: ["Sales"] }))).status).toBe(302);
    expect(await counts(h.t)).toMatchObject({ users: 1, identities: 1, memberships: 1, sessions: 2 });
    const m = await h.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["member"]);
  });
});
