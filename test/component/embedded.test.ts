// Embedded mode: an app (test/component/app/) mounts the gateway component, configures it with roles, grants and
// an afterUserCreatedOrUpdated hook, and serves the gateway's routes from its own router. Sign-in, refresh, SCIM
// and the ./server helpers are driven through that app, as a consuming app would use them.
/// <reference types="vite/client" />
import { makeFunctionReference, type UserIdentity } from "convex/server";
import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { embeddedApp, type EmbeddedApp } from "./embeddedApp";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import type { GatewayTest } from "../../src/test";
import { APP, exchange, form, pkcePair, refresh, seedGroupAndApp, signIn } from "../helpers";
import { callback, loginAtOp, setupWithOp } from "../oidc/harness";
import { postAcs, setupSaml, startLogin, testIdp } from "../saml/samlFlow";

const whoami = makeFunctionReference<"query">("projects:whoami");
const createProject = makeFunctionReference<"query">("projects:create");
const mine = makeFunctionReference<"query">("projects:mine");
const gatewayOverview = makeFunctionReference<"query">("projects:gatewayOverview");
const operatorLink = makeFunctionReference<"mutation">("projects:operatorLink");

let app: EmbeddedApp;
let gw: GatewayTest;

beforeEach(() => {
  ({ app, gw } = embeddedApp());
});

/** The identity Convex derives from our session JWT (custom claims are kept as fields). */
function identityOf(accessToken: string): Partial<UserIdentity> {
  const c = decodeJwt(accessToken) as Record<string, any>;
  return { subject: c.sub as string, issuer: c.iss as string, email: c.email as string, emailVerified: c.email_verified as boolean, name: c.name as string, sid: c.sid, group_id: c.group_id, group: c.group, role: c.role, roles: c.roles, auth_method: c.auth_method, connection_id: c.connection_id };
}

const userChanges = () => app.run((ctx) => ctx.db.query("userChanges").collect());

describe("embedded: SAML sign-in through the app's router", () => {
  it("signs in, refreshes, calls afterUserCreatedOrUpdated once per change, and the helpers read a typed identity", async () => {
    const { connectionId, groupId } = await setupSaml(gw);
    const idp = testIdp();
    const login = async (user: { email: string; name: string; groups: string[] }) => {
      const s = await startLogin(gw, connectionId);
      const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user });
      const res = await postAcs(gw, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
      expect(res.status).toBe(302);
      const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
      const tok = await exchange(gw, code, s.verifier);
      expect(tok.status).toBe(200);
      return (await tok.json()) as { access_token: string; refresh_token: string };
    };
    const ada = { email: "ada@acme.example", name: "Ada Lovelace", groups: ["admins"] };
    const first = await login(ada);
    const changes1 = await userChanges();
    expect(changes1).toHaveLength(1);
    expect(changes1[0]).toMatchObject({ existingUser: false, groupId, source: "saml" });

    await login(ada); // same person, same attributes: no change, no call
    expect(await userChanges()).toHaveLength(1);
    await login({ ...ada, name: "Ada King" }); // a changed name is a change
    const changes3 = await userChanges();
    expect(changes3).toHaveLength(2);
    expect(changes3[1]).toMatchObject({ existingUser: true, userId: changes1[0]!.userId, source: "saml" });

    const claims = decodeJwt(first.access_token);
    expect(claims.exp! - claims.iat!).toBe(15 * 60); // the app's jwt.durationMs reached the token endpoint
    const who = await app.withIdentity(identityOf(first.access_token)).query(whoami, {});
    expect(who).toEqual({
      userId: claims.sub, sessionId: claims.sid, groupId, group: "acme", role: "admin", roles: ["admin"],
      grants: ["gateway:admin", "projects:read", "projects:write"], email: "ada@acme.example", emailVerified: claims.email_verified, name: "Ada Lovelace",
      authMethod: "saml", connectionId,
    });
    expect(await app.withIdentity(identityOf(first.access_token)).query(createProject, {})).toEqual({ createdBy: claims.sub });
    const overview = await app.withIdentity(identityOf(first.access_token)).query(gatewayOverview, {});
    expect(overview).toEqual([expect.objectContaining({ group: "acme", connections: [expect.objectContaining({ id: connectionId, kind: "saml", status: "active" })] })]);
    // The admin (gateway:admin) mints an operator link; it opens the operator page once, through the app's router.
    const minted = await app.withIdentity(identityOf(first.access_token)).mutation(operatorLink, {});
    expect(minted.url).toMatch(/\/portal\/operator\/link\?t=pol_[A-Za-z0-9_-]{43}$/);
    const token = new URL(minted.url).searchParams.get("t")!;
    const opened = await gw.fetch("/portal/operator/link", form({ token }));
    expect(opened.status).toBe(303);
    const opCookie = opened.headers.get("set-cookie")!.split(";")[0]!;
    const opPage = await gw.fetch("/portal/operator/", { headers: { cookie: opCookie } });
    expect(opPage.status).toBe(200);
    expect(await opPage.text()).toContain("Acme");
    expect(await gw.run(async (ctx) => (await ctx.db.query("operatorLinks").collect())[0]!.createdBy)).toBe(`user:${claims.sub}`);

    const refreshed = await refresh(gw, first.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(decodeJwt((await refreshed.json()).access_token).sid).toBe(claims.sid);
  });
});

describe("embedded: OIDC sign-in through the app's router", () => {
  it("a real OP (oidc-provider on 127.0.0.1) → callback → code → token; the hook sees source oidc", async () => {
    const h = await setupWithOp({ method: "client_secret_basic", roleRules: [{ value: "admins", role: "admin" }], t: gw });
    try {
      const { verifier, challenge } = await pkcePair();
      const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s-1", code_challenge: challenge, code_challenge_method: "S256", connection: h.connectionId });
      const start = await gw.fetch(`/sso/authorize?${q}`);
      expect(start.status).toBe(302);
      const cb = await loginAtOp(new URL(start.headers.get("location")!), { email: "linus@acme.example", name: "Linus", groups: ["admins"] });
      const res = await callback(h, cb);
      expect(res.status).toBe(302);
      const tok = await exchange(gw, new URL(res.headers.get("location")!).searchParams.get("code")!, verifier);
      expect(tok.status).toBe(200);
      const who = await app.withIdentity(identityOf((await tok.json()).access_token)).query(whoami, {});
      expect(who).toMatchObject({ authMethod: "oidc", role: "admin", grants: ["gateway:admin", "projects:read", "projects:write"], connectionId: h.connectionId });
      expect(await userChanges()).toMatchObject([{ existingUser: false, source: "oidc", groupId: h.groupId }]);
    } finally {
      await h.close();
    }
  });
});

describe("embedded: guards", () => {
  async function memberSession() {
    const groupId = await seedGroupAndApp(gw);
    const { code, verifier } = await signIn(gw, groupId as Id<"groups">, {}, ["member"]);
    const tok = await (await exchange(gw, code, verifier)).json();
    return { groupId, tok, as: app.withIdentity(identityOf(tok.access_token)) };
  }

  it("requireGrant refuses a member without the grant (ConvexError kind MissingGrant); the custom query injects the grants", async () => {
    const { as } = await memberSession();
    await expect(as.query(createProject, {})).rejects.toMatchObject({ data: { kind: "MissingGrant", required: "projects:write" } });
    await expect(as.query(gatewayOverview, {})).rejects.toMatchObject({ data: { kind: "MissingGrant", required: "gateway:admin" } });
    await expect(as.mutation(operatorLink, {})).rejects.toMatchObject({ data: { kind: "MissingGrant", required: "gateway:admin" } });
    await expect(app.mutation(operatorLink, {})).rejects.toMatchObject({ data: { kind: "Unauthenticated" } });
    expect(await gw.run(async (ctx) => (await ctx.db.query("operatorLinks").collect()).length)).toBe(0);
    expect(await as.query(mine, {})).toEqual({ group: "acme", grants: ["projects:read"] });
  });

  it("refuses anonymous callers and tokens that are not member sessions", async () => {
    await expect(app.query(mine, {})).rejects.toMatchObject({ data: { kind: "Unauthenticated" } });
    await expect(app.withIdentity({ subject: "someone" }).query(mine, {})).rejects.toMatchObject({ data: { kind: "NotAMember" } });
    expect(await app.withIdentity({ subject: "someone" }).query(whoami, {})).toBeNull();
  });

  it("getSsoIdentity is null at once after sign-out (the session row is checked), before the JWT expires", async () => {
    const { as, tok } = await memberSession();
    expect(await as.query(whoami, {})).toMatchObject({ role: "member" });
    const res = await gw.fetch("/oauth/revoke", form({ token: tok.refresh_token, client_id: "demo-app" }));
    expect(res.status).toBe(200);
    expect(await as.query(whoami, {})).toBeNull();
    await expect(as.query(mine, {})).rejects.toMatchObject({ data: { kind: "SessionRevoked" } });
  });
});

describe("embedded: the gateway's typed admin methods", () => {
  it("create a group, an app and a SCIM directory from the app's own action, with the app's issuer", async () => {
    const out = await app.action(makeFunctionReference<"action">("admin:bootstrap"), {});
    expect(out.slugs).toEqual(["globex"]);
    expect(out.requests).toEqual([]); // a new directory's request log, through the typed query method
    expect(out.baseUrl).toMatch(/^https:\/\/gw\.example\.test\/scim\/v2\//);
    expect(await gw.run((ctx) => ctx.db.get(out.appId as never))).toMatchObject({ clientId: "globex-app" });
    // A "Configure SSO" button: the setup link is on the app's own site and opens the portal's landing page once.
    expect(out.setupIntents).toEqual(["sso", "domains"]);
    const link = new URL(out.setupUrl);
    expect(link.origin).toBe("https://gw.example.test");
    expect(link.pathname).toBe("/portal/link");
    const landing = await app.fetch(`${link.pathname}${link.search}`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain("Globex");
  });
});

describe("embedded: SCIM and the hook's transaction", () => {
  const TOKEN = "embedded-scim-token-0123456789";
  async function scimSetup() {
    const groupId = await seedGroupAndApp(gw);
    const { slug } = await gw.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", directoryId: "acme-dir", name: "Okta", token: TOKEN });
    const scim = (method: string, path: string, body?: unknown) =>
      gw.fetch(`/scim/v2/${slug}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/scim+json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    return { groupId, scim };
  }
  const USER = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "grace@acme.example", name: { givenName: "Grace", familyName: "Hopper" }, emails: [{ value: "grace@acme.example", primary: true }], active: true };
  const gatewayRows = () => gw.run(async (ctx) => ({ users: (await ctx.db.query("users").collect()).length, scimUsers: (await ctx.db.query("scimUsers").collect()).length }));

  it("a hook that throws rolls the SCIM create back; then create, update and a no-op update call it once per change", async () => {
    const { groupId, scim } = await scimSetup();
    await app.run((ctx) => ctx.db.insert("hookFailures", { reason: "the app refuses this user" }));
    const refused = await scim("POST", "/Users", USER);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await gatewayRows()).toEqual({ users: 0, scimUsers: 0 });
    expect(await userChanges()).toHaveLength(0); // the hook's own write rolled back too

    await app.run(async (ctx) => {
      for (const row of await ctx.db.query("hookFailures").collect()) await ctx.db.delete(row._id);
    });
    const created = await scim("POST", "/Users", USER);
    expect(created.status).toBe(201);
    const { id } = await created.json();
    expect(await userChanges()).toMatchObject([{ existingUser: false, groupId, source: "scim" }]);

    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: "Grace B. Hopper" }] };
    expect((await scim("PATCH", `/Users/${id}`, patch)).status).toBe(200);
    expect(await userChanges()).toHaveLength(2);
    expect((await userChanges())[1]).toMatchObject({ existingUser: true, source: "scim" });
    expect((await scim("PATCH", `/Users/${id}`, patch)).status).toBe(200); // same value again: nothing changed
    expect(await userChanges()).toHaveLength(2);
  });
});
