// complete-sign-in (the seam SAML and OIDC call) and /sso/authorize's request checks.
import { beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { completeSignIn } from "../../src/component/signin";
import { insertAuthRequest } from "../../src/component/sso/authorize";
import { APP, newGateway, pkcePair, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";

let t: TestGateway;
let groupId: Id<"groups">;
beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t);
});

async function connection(kind: "saml" | "oidc" = "saml", roleRules?: Array<{ value: string; role: string }>, gid = groupId) {
  return t.run((ctx) =>
    ctx.db.insert("connections", { groupId: gid, kind, name: "IdP", status: "active", config: {}, roleRules, createdAt: 0, updatedAt: 0 }),
  );
}

async function pending(connectionId?: Id<"connections">, gid = groupId) {
  const { challenge } = await pkcePair();
  return t.run(async (ctx) => {
    const app = (await ctx.db.query("apps").first())!;
    return insertAuthRequest(ctx, { appId: app._id, redirectUri: APP.redirectUri, state: "s", codeChallenge: challenge, groupId: gid, connectionId });
  });
}

const complete = (args: Parameters<typeof completeSignIn>[1]) => t.run((ctx) => completeSignIn(ctx, args));

describe("complete-sign-in", () => {
  test("creates user, identity, JIT membership with rule roles, session and code; redirects with code, state and iss", async () => {
    const connectionId = await connection("saml", [{ value: "Engineering", role: "admin" }, { value: "Everyone", role: "member" }]);
    const authRequestId = await pending(connectionId);
    const r = await t.mutation(internal.signin.complete, {
      authRequestId,
      connectionId,
      authMethod: "saml",
      profile: { subject: "00u1", email: "Ada@acme.example", name: "Ada", groups: ["everyone", "engineering"] },
    });
    const url = new URL(r.redirectTo);
    expect(url.origin + url.pathname).toBe(APP.redirectUri);
    expect(url.searchParams.get("state")).toBe("s");
    expect(url.searchParams.get("iss")).toBe("https://gw.example.test");
    expect(url.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const db = await snapshot(t);
    expect(db.users).toHaveLength(1);
    expect(db.identities).toMatchObject([{ provider: `connection:${connectionId}`, subject: "00u1" }]);
    expect(db.memberships).toMatchObject([{ role: "admin", roles: ["admin", "member"], source: "jit", status: "active" }]);
    expect(db.sessions).toHaveLength(1);
    expect(db.authCodes).toHaveLength(1);
  });

  test("no rule matches → the group's default role", async () => {
    const connectionId = await connection("oidc", [{ value: "admins", role: "admin" }]);
    await complete({ authRequestId: await pending(connectionId), connectionId, authMethod: "oidc", profile: { subject: "x", groups: ["sales"] } });
    expect((await snapshot(t)).memberships).toMatchObject([{ role: "member", roles: ["member"] }]);
  });

  test("a second login of the same subject reuses the user and refreshes roles from the IdP's groups", async () => {
    const connectionId = await connection("saml", [{ value: "admins", role: "admin" }]);
    await complete({ authRequestId: await pending(connectionId), connectionId, authMethod: "saml", profile: { subject: "s1", groups: ["admins"] } });
    await complete({ authRequestId: await pending(connectionId), connectionId, authMethod: "saml", profile: { subject: "s1", groups: ["staff"] } });
    const db = await snapshot(t);
    expect(db.users).toHaveLength(1);
    expect(db.memberships).toMatchObject([{ role: "member" }]);
    expect(db.sessions).toHaveLength(2);
  });

  test("email links to a user only when that user is already a member of the same group (verified address, verified domain)", async () => {
    const other = await t.mutation(internal.admin.groups.create, { slug: "evil", name: "Evil" });
    await t.mutation(internal.admin.memberships.upsert, { groupId, email: "ada@acme.example", roles: ["admin"] });
    // Another tenant's IdP asserts the same address, even "verified": it must get a different user.
    const evilConn = await connection("saml", undefined, other);
    const r1 = await complete({ authRequestId: await pending(evilConn, other), connectionId: evilConn, authMethod: "saml", profile: { subject: "attacker", email: "ADA@acme.example", emailVerified: true } });
    // The group's own IdP asserting the address as verified (acme.example is a verified domain) links to the provisioned user.
    const conn = await connection("saml");
    const r2 = await complete({ authRequestId: await pending(conn), connectionId: conn, authMethod: "saml", profile: { subject: "ada-at-okta", email: "ada@acme.example", emailVerified: true } });
    const provisioned = await t.run(async (ctx) => (await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", groupId)).first())!.userId);
    expect(r2.userId).toBe(provisioned);
    expect(r1.userId).not.toBe(provisioned);
  });

  // Each case: set the scene (may write), then return the failing call; only the failing call is checked.
  type Ids = { conn: Id<"connections">; req: Id<"authRequests"> };
  const failures: Array<[string, string, (ids: Ids) => Promise<() => Promise<unknown>>]> = [
    ["request already used", "request_used", async ({ conn, req }) => {
      await complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
      return () => complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
    }],
    ["request expired", "request_expired", async ({ conn, req }) => async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 11 * 60_000);
      try {
        return await complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
      } finally {
        vi.useRealTimers();
      }
    }],
    ["connection of another group", "connection_mismatch", async ({ req }) => {
      const other = await t.mutation(internal.admin.groups.create, { slug: "other", name: "Other" });
      const foreign = await connection("saml", undefined, other);
      return () => complete({ authRequestId: req, connectionId: foreign, authMethod: "saml", profile: { subject: "a" } });
    }],
    ["request started for another connection", "connection_mismatch", async ({ req }) => {
      const second = await connection("oidc");
      return () => complete({ authRequestId: req, connectionId: second, authMethod: "oidc", profile: { subject: "a" } });
    }],
    ["disabled connection", "connection_disabled", async ({ conn, req }) => {
      await t.run((ctx) => ctx.db.patch(conn, { status: "disabled" }));
      return () => complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
    }],
    ["empty subject", "invalid_profile", async ({ conn, req }) => () => complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "  " } })],
    ["deactivated membership", "membership_inactive", async ({ conn, req }) => {
      const first = await complete({ authRequestId: await pending(conn), connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
      await t.run(async (ctx) => {
        const m = (await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", groupId).eq("userId", first.userId!)).unique())!;
        await ctx.db.patch(m._id, { status: "inactive" });
      });
      return () => complete({ authRequestId: req, connectionId: conn, authMethod: "saml", profile: { subject: "a" } });
    }],
    ["no connection for a protocol login", "connection_mismatch", async ({ req }) => () => complete({ authRequestId: req, authMethod: "saml", profile: { subject: "a" } })],
  ];
  test.each(failures)("%s → SignInError %s, nothing written", async (_n, code, setUp) => {
    const conn = await connection("saml");
    const req = await pending(conn);
    const failing = await setUp({ conn, req });
    const before = await snapshot(t);
    const err = await failing().then(
      () => null,
      (e: { data?: unknown }) => e,
    );
    expect(err?.data).toMatchObject({ kind: "SignInError", code });
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("/sso/authorize", () => {
  const base = async (extra: Record<string, string> = {}) => {
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "st", code_challenge: challenge, code_challenge_method: "S256", response_type: "code", ...extra });
    return t.fetch(`/sso/authorize?${q}`);
  };
  const redirectError = (res: Response) => {
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get("location")!);
    expect(url.origin + url.pathname).toBe(APP.redirectUri);
    expect(url.searchParams.get("state")).toBe("st");
    return url.searchParams.get("error");
  };

  test("an unknown client or unregistered redirect_uri gets an error page, never a redirect", async () => {
    const cases: Array<Record<string, string>> = [{ client_id: "nobody" }, { redirect_uri: "https://evil.example/cb" }, { redirect_uri: APP.redirectUri + "/" }];
    for (const extra of cases) {
      const before = await snapshot(t);
      const res = await base({ group: "acme", ...extra });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      const html = await res.text();
      expect(html).not.toContain("evil.example");
      expect(await snapshot(t)).toEqual(before);
    }
    const bare = await t.fetch("/sso/authorize");
    expect(bare.status).toBe(400);
  });

  test.each([
    ["missing PKCE", "invalid_request", { code_challenge: "" }],
    ["plain PKCE", "invalid_request", { code_challenge_method: "plain" }],
    ["malformed challenge", "invalid_request", { code_challenge: "short" }],
    ["implicit flow", "unsupported_response_type", { response_type: "token" }],
    ["no group selector", "invalid_request", {}],
    ["unknown group", "invalid_request", { group: "nope" }],
    ["unknown email domain", "invalid_request", { login_hint: "bob@unknown.example" }],
    ["malformed connection id", "invalid_request", { connection: "not-an-id" }],
    ["group without a connection", "invalid_request", { group: "acme" }],
  ])("%s → redirect with error=%s (the redirect URI is known good), nothing written", async (_n, error, extra) => {
    const before = await snapshot(t);
    expect(redirectError(await base(extra as Record<string, string>))).toBe(error);
    expect(await snapshot(t)).toEqual(before);
  });

  test("an email domain finds the group's active connection and hands over to the protocol starter", async () => {
    const conn = await connection("oidc");
    const res = await base({ login_hint: "ada@ACME.example" });
    expect(res.status).not.toBe(500);
    const requests = await t.run((ctx) => ctx.db.query("authRequests").collect());
    expect(requests).toMatchObject([{ connectionId: conn, groupId, state: "st", redirectUri: APP.redirectUri }]);
  });
});
