// Entra ID specifics through the HTTP callback (fake OP playing Entra): tenant check, groups overage fallback,
// email from preferred_username.
import { afterEach, describe, expect, it } from "vitest";
import { baseClaims, counts, expectOnlyTrace, fakeCallback, fakeLogin, setupWithFakeOp, signIdToken, type FakeHarness } from "./harness";

const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
let h: FakeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function entraClaims(x: FakeHarness, nonce: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { email: _e, email_verified: _v, ...c } = baseClaims(x.op, nonce);
  return { ...c, tid: TENANT, preferred_username: "grace@contoso.example", ...extra };
}

describe("Entra ID preset", () => {
  it("signs in with email from preferred_username, roles from groups", async () => {
    h = await setupWithFakeOp({ config: { preset: "entra", tenantId: TENANT }, roleRules: [{ value: "Admins", role: "admin" }] });
    const x = h;
    x.op.tokenResponse = async ({ nonce }) => ({ body: { access_token: "a", token_type: "Bearer", id_token: await signIdToken(entraClaims(x, nonce), x.op.key) } });
    const res = await fakeCallback(x, await fakeLogin(x));
    expect(res.status).toBe(302);
    const u = await x.t.run(async (ctx) => ctx.db.query("users").first());
    expect(u).toMatchObject({ email: "grace@contoso.example", emailVerified: false });
    const m = await x.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["admin"]);
  });

  it("refuses a token from another tenant (tid) and writes only the trace", async () => {
    h = await setupWithFakeOp({ config: { preset: "entra", tenantId: TENANT } });
    const x = h;
    x.op.tokenResponse = async ({ nonce }) => ({
      body: { access_token: "a", token_type: "Bearer", id_token: await signIdToken(entraClaims(x, nonce, { tid: "72f988bf-86f1-41af-91ab-2d7cd011db47" }), x.op.key) },
    });
    const cb = await fakeLogin(x);
    await expectOnlyTrace(x.t, "tenant_mismatch", () => fakeCallback(x, cb));
  });

  it("groups overage on a first login: default role, and the event says why", async () => {
    // Graph unreachable (nothing listens on loopback port 9) and the connection's policy is "default_role".
    // (Graph paging, "refuse", and never keeping an earlier login's roles: test/oidc/trust.test.ts.)
    const groupsOverage = { graphBaseUrl: "http://127.0.0.1:9/graph", onFailure: "default_role" };
    h = await setupWithFakeOp({ config: { preset: "entra", tenantId: TENANT, groupsOverage }, roleRules: [{ value: "Admins", role: "admin" }] });
    const x = h;
    x.op.tokenResponse = async ({ nonce }) => {
      const { groups: _g, ...c } = entraClaims(x, nonce, { hasgroups: true });
      return { body: { access_token: "a", token_type: "Bearer", id_token: await signIdToken(c, x.op.key) } };
    };
    expect((await fakeCallback(x, await fakeLogin(x))).status).toBe(302);
    const m = await x.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["member"]);
    const events = await x.t.run(async (ctx) => ctx.db.query("events").collect());
    expect(events.some((e) => e.type === "oidc.groups_not_delivered")).toBe(true);
  });
});
