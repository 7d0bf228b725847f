// The trust model at the seams (issue 9 part A), driven through convex/http.ts with fake OPs on 127.0.0.1:
// account linking never trusts an unverified email, email_verified means "verified by the IdP and in one of
// the group's verified domains", every token names its app (azp, per-app audience), and one tenant's IdP
// cannot rewrite another tenant's view of a person.
import { afterEach, describe, expect, it } from "vitest";
import { decodeJwt, type JWTPayload } from "jose";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { baseClaims, expectOnlyTrace, setupWithFakeOp, signIdToken, startFakeOp, type FakeHarness, type FakeOp } from "../oidc/harness";
import { APP, exchange, pkcePair, refresh, type TestGateway } from "../helpers";
import { DEMO_TOKEN, USER_SCHEMA } from "../scim/helpers";

interface Conn {
  t: TestGateway;
  connectionId: Id<"connections">;
  op: FakeOp;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setUp(policy?: Record<string, unknown>) {
  const h: FakeHarness = await setupWithFakeOp({ roleRules: [{ value: "Admins", role: "admin" }] });
  closers.push(h.close);
  if (policy) await h.t.mutation(internal.admin.groups.update, { groupId: h.groupId, policy: { defaultRole: "member", ...policy } as never });
  return h;
}

/** A second OIDC connection (another fake OP) in `groupId`. */
async function secondConnection(t: TestGateway, groupId: Id<"groups">, name = "Second IdP"): Promise<Conn> {
  const op = await startFakeOp();
  closers.push(() => op.net.close());
  const saved = await t.action(internal.oidc.admin.saveConnection, {
    groupId,
    name,
    config: { issuer: op.issuer, clientId: "gateway-rp", clientSecret: "second-secret" },
  });
  return { t, connectionId: saved.connectionId, op };
}

/** /sso/authorize → the OP answers with an ID token carrying `claims` → the gateway's callback response. */
async function login(c: Conn, claims: Record<string, unknown>, clientId = APP.clientId, redirectUri = APP.redirectUri) {
  const { verifier, challenge } = await pkcePair();
  const q = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    state: "st",
    code_challenge: challenge,
    code_challenge_method: "S256",
    connection: c.connectionId,
  });
  const start = await c.t.fetch(`/sso/authorize?${q}`);
  expect(start.status).toBe(302);
  const authUrl = new URL(start.headers.get("location")!);
  c.op.nonce = authUrl.searchParams.get("nonce")!;
  c.op.tokenResponse = async ({ nonce }) => ({
    body: { access_token: "at", token_type: "Bearer", id_token: await signIdToken({ ...baseClaims(c.op, nonce), ...claims }, c.op.key) },
  });
  const cb = new URL(authUrl.searchParams.get("redirect_uri")!);
  cb.searchParams.set("code", "op-code");
  cb.searchParams.set("state", authUrl.searchParams.get("state")!);
  cb.searchParams.set("iss", c.op.issuer);
  return { callback: () => c.t.fetch(`${cb.pathname}${cb.search}`), verifier, clientId, redirectUri };
}

/** A whole sign-in through the app's token exchange: the session JWT's claims and the refresh token. */
async function signInFor(c: Conn, claims: Record<string, unknown>, clientId = APP.clientId, redirectUri = APP.redirectUri) {
  const l = await login(c, claims, clientId, redirectUri);
  const back = await l.callback();
  expect(back.status, await back.clone().text()).toBe(302);
  const code = new URL(back.headers.get("location")!).searchParams.get("code")!;
  const res = await c.t.fetch(
    "/oauth/token",
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: l.verifier }).toString(),
    },
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  return { claims: decodeJwt(body.access_token) as JWTPayload & Record<string, unknown>, refreshToken: body.refresh_token };
}

const victim = { sub: "okta-grace", email: "grace@acme.example", email_verified: true, name: "Grace Hopper", groups: ["Admins"] };

describe("account linking", () => {
  it("an IdP that did not verify the address cannot sign in as an existing member: refused, traced account_link_refused", async () => {
    const h = await setUp();
    const first = await signInFor(h, victim);
    expect(first.claims.role).toBe("admin");
    const attacker = await secondConnection(h.t, h.groupId);
    const l = await login(attacker, { sub: "attacker-1", email: "GRACE@acme.example", email_verified: false, name: "Mallory", groups: [] });
    await expectOnlyTrace(h.t, "account_link_refused", l.callback);
  });

  it("a verified address outside the group's verified domains does not link either", async () => {
    const h = await setUp();
    await signInFor(h, victim);
    await h.t.mutation(internal.admin.groups.setDomainVerified, { groupId: h.groupId, domain: "acme.example", verified: false });
    const other = await secondConnection(h.t, h.groupId);
    const l = await login(other, { sub: "other-1", email: "grace@acme.example", email_verified: true, groups: [] });
    await expectOnlyTrace(h.t, "account_link_refused", l.callback);
  });

  it('policy onConflict "new_user": the unverified login becomes a new user with the default role', async () => {
    const h = await setUp({ linking: { byEmail: "verified_domain", onConflict: "new_user" } });
    const first = await signInFor(h, victim);
    const attacker = await secondConnection(h.t, h.groupId);
    const second = await signInFor(attacker, { sub: "attacker-1", email: "grace@acme.example", email_verified: false, groups: [] });
    expect(second.claims.sub).not.toBe(first.claims.sub);
    expect(second.claims).toMatchObject({ role: "member", email_verified: false });
  });

  it("a verified address in a verified domain links to the member (same user, same role)", async () => {
    const h = await setUp();
    const first = await signInFor(h, victim);
    const second = await signInFor(await secondConnection(h.t, h.groupId), { sub: "entra-grace", email: "grace@acme.example", email_verified: true, groups: [] });
    expect(second.claims.sub).toBe(first.claims.sub);
    expect(second.claims.role).toBe("admin");
  });

  it('policy byEmail "never": even a verified address in a verified domain does not link', async () => {
    const h = await setUp({ linking: { byEmail: "never", onConflict: "refuse" } });
    await signInFor(h, victim);
    const l = await login(await secondConnection(h.t, h.groupId), { sub: "entra-grace", email: "grace@acme.example", email_verified: true });
    await expectOnlyTrace(h.t, "account_link_refused", l.callback);
  });

  it("a verified login does not join an account an unverified login created earlier (pre-hijack)", async () => {
    const h = await setUp({ linking: { byEmail: "verified_domain", onConflict: "new_user" } });
    const attacker = await secondConnection(h.t, h.groupId);
    const planted = await signInFor(attacker, { sub: "attacker-1", email: "grace@acme.example", email_verified: false, groups: [] });
    const real = await signInFor(h, victim);
    expect(real.claims.sub).not.toBe(planted.claims.sub);
    expect(real.claims.email_verified).toBe(true);
  });

  it("SSO never links to a SCIM-provisioned person by an unverified email; a verified one does", async () => {
    const h = await setUp();
    const { slug } = await h.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "Acme", token: DEMO_TOKEN });
    const created = await h.t.fetch(`/scim/v2/${slug}/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEMO_TOKEN}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: "grace@acme.example", emails: [{ value: "grace@acme.example", primary: true }], active: true }),
    });
    expect(created.status).toBe(201);
    const provisioned = await h.t.run(async (ctx) => (await ctx.db.query("scimUsers").first())!.userId);
    const l = await login(h, { sub: "not-grace", email: "grace@acme.example", email_verified: false, groups: [] });
    await expectOnlyTrace(h.t, "account_link_refused", l.callback);
    const ok = await signInFor(h, { sub: "okta-grace", email: "grace@acme.example", email_verified: true, groups: [] });
    expect(ok.claims.sub).toBe(provisioned);
  });

  it("SCIM links a pushed email to an existing member only inside a verified domain", async () => {
    const h = await setUp();
    const first = await signInFor(h, victim);
    const { slug } = await h.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "Acme", token: DEMO_TOKEN });
    const push = (userName: string) =>
      h.t.fetch(`/scim/v2/${slug}/Users`, {
        method: "POST",
        headers: { Authorization: `Bearer ${DEMO_TOKEN}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify({ schemas: [USER_SCHEMA], userName, emails: [{ value: "grace@acme.example", primary: true }], active: false }),
      });
    await h.t.mutation(internal.admin.groups.setDomainVerified, { groupId: h.groupId, domain: "acme.example", verified: false });
    const r1 = (await (await push("grace@acme.example")).json()) as { id: string };
    const linked1 = await h.t.run(async (ctx) => (await ctx.db.get(r1.id as Id<"scimUsers">))!.userId);
    expect(linked1).not.toBe(first.claims.sub);
    await h.t.mutation(internal.admin.groups.setDomainVerified, { groupId: h.groupId, domain: "acme.example", verified: true });
    // The push was "active: false": had it linked, the victim would have lost the group. It did not.
    const again = await signInFor(h, victim);
    expect(again.claims).toMatchObject({ sub: first.claims.sub, role: "admin" });

    const r2 = (await (await push("grace.hopper@acme.example")).json()) as { id: string };
    const linked2 = await h.t.run(async (ctx) => (await ctx.db.get(r2.id as Id<"scimUsers">))!.userId);
    expect(linked2).toBe(first.claims.sub);
  });
});

describe("email_verified", () => {
  it("is true only when the IdP verified the address and its domain is a verified domain of the group", async () => {
    const h = await setUp();
    const outside = await signInFor(h, { sub: "s-out", email: "ceo@outside.example", email_verified: true });
    expect(outside.claims).toMatchObject({ email: "ceo@outside.example", email_verified: false });
    const unverified = await signInFor(h, { sub: "s-unv", email: "bob@acme.example", email_verified: false });
    expect(unverified.claims.email_verified).toBe(false);
    const good = await signInFor(h, { sub: "s-ok", email: "ada@acme.example", email_verified: true });
    expect(good.claims.email_verified).toBe(true);
    await h.t.mutation(internal.admin.groups.setDomainVerified, { groupId: h.groupId, domain: "acme.example", verified: false });
    const afterUnverify = await signInFor(h, { sub: "s-ok", email: "ada@acme.example", email_verified: true });
    expect(afterUnverify.claims.email_verified).toBe(false);
  });
});

describe("tokens are bound to their app", () => {
  it("every session JWT carries azp = client_id, and each app's default audience is its own client_id", async () => {
    const h = await setUp();
    await h.t.mutation(internal.admin.apps.create, { clientId: "other-app", name: "Other", redirectUris: ["https://other.example.test/cb"] });
    const a = await signInFor(h, victim);
    expect(a.claims).toMatchObject({ azp: APP.clientId, aud: APP.clientId });
    const b = await signInFor(h, victim, "other-app", "https://other.example.test/cb");
    expect(b.claims).toMatchObject({ azp: "other-app", aud: "other-app" });
    const refreshed = await refresh(h.t, a.refreshToken);
    expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token)).toMatchObject({ azp: APP.clientId, aud: APP.clientId });
  });
});

describe("one tenant's IdP cannot rewrite another tenant's view of a person", () => {
  it("a login to group B with a new name and email leaves group A's token as A's sources said", async () => {
    const h = await setUp();
    const a = await signInFor(h, victim);
    const beta = await h.t.mutation(internal.admin.groups.create, { slug: "beta", name: "Beta", domains: ["beta.example"] });
    await h.t.mutation(internal.admin.groups.setDomainVerified, { groupId: beta, domain: "beta.example", verified: true });
    const b = await secondConnection(h.t, beta, "Beta IdP");
    // The same person is a member of both groups (the deployment admin added her to beta, and beta's IdP knows her).
    await h.t.run(async (ctx) => {
      const userId = a.claims.sub as Id<"users">;
      await ctx.db.insert("memberships", { groupId: beta, userId, role: "member", roles: ["member"], source: "admin", status: "active", updatedAt: 0 });
      await ctx.db.insert("identities", { userId, groupId: beta, connectionId: b.connectionId, provider: `connection:${b.connectionId}`, subject: "beta-grace", lastLoginAt: 0 });
    });
    const inBeta = await signInFor(b, { sub: "beta-grace", email: "queen@beta.example", email_verified: true, name: "Renamed By Beta" });
    expect(inBeta.claims).toMatchObject({ sub: a.claims.sub, name: "Renamed By Beta", email: "queen@beta.example", group: "beta" });
    const res = await refresh(h.t, a.refreshToken);
    expect(res.status).toBe(200);
    const inAcme = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    expect(inAcme).toMatchObject({ group: "acme", name: "Grace Hopper", email: "grace@acme.example", email_verified: true });
  });
});
