// SCIM → gateway identities (issue 6 bullet 11): users, memberships, deprovisioning, session revocation, roles.
import { describe, expect, test } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { findScimLinkedUser } from "../../src/component/scim/link";
import { GROUP_SCHEMA, PATCH_OP, setup, user, type Env } from "./helpers";

async function seedSession(env: Env, userId: Id<"users">) {
  return env.t.run(async (ctx) => {
    const appId = await ctx.db.insert("apps", { clientId: "app", name: "App", redirectUris: ["https://app/cb"], audience: "convex", createdAt: 0 });
    const sessionId = await ctx.db.insert("sessions", { userId, groupId: (await ctx.db.query("groups").first())!._id, appId, authMethod: "saml", createdAt: 0, expiresAt: Date.now() + 1e9, lastUsedAt: 0 });
    await ctx.db.insert("refreshTokens", { sessionId, hash: "h1", createdAt: 0, expiresAt: Date.now() + 1e9 });
    return sessionId;
  });
}
const memberships = (env: Env) => env.t.run((ctx) => ctx.db.query("memberships").collect());
const users = (env: Env) => env.t.run((ctx) => ctx.db.query("users").collect());
const linkOf = (env: Env, scimId: string) => env.t.run(async (ctx) => (await ctx.db.get(scimId as Id<"scimUsers">))!.userId!);

describe("SCIM users become gateway users with a membership in the directory's group", () => {
  test("create → user + active scim membership with the default role", async () => {
    const env = await setup();
    const u = await user(env, "Ann@Example.com", { name: { givenName: "Ann", familyName: "Lee" }, emails: [{ value: "ann@example.com", primary: true }] });
    const [gu] = await users(env);
    expect(gu).toMatchObject({ email: "ann@example.com", emailLower: "ann@example.com", emailVerified: false, name: "Ann Lee" });
    expect(await memberships(env)).toEqual([expect.objectContaining({ groupId: env.groupId, userId: gu!._id, source: "scim", status: "active", role: "member", roles: ["member"] })]);
    expect(await linkOf(env, u.id)).toBe(gu!._id);
  });

  const jitMember = (env: Env, emailVerified: boolean) =>
    env.t.run(async (ctx) => {
      const id = await ctx.db.insert("users", { email: "Jit@Example.com", emailLower: "jit@example.com", emailVerified, createdAt: 0 });
      await ctx.db.insert("memberships", { groupId: env.groupId, userId: id, role: "member", roles: ["member"], source: "jit", status: "active", updatedAt: 0, email: "Jit@Example.com", emailLower: "jit@example.com", emailVerified });
      return id;
    });
  const verifyDomain = (env: Env) => env.t.run((ctx) => ctx.db.insert("domains", { groupId: env.groupId, domain: "example.com", verified: true }));

  test("an existing IdP-verified member of the group with that email is linked, not duplicated (policy email, verified domain)", async () => {
    const env = await setup();
    await verifyDomain(env);
    const existing = await jitMember(env, true);
    const u = await user(env, "someone", { emails: [{ value: "JIT@example.com", primary: true }] });
    expect(await linkOf(env, u.id)).toBe(existing);
    expect(await users(env)).toHaveLength(1);
    expect(await memberships(env)).toEqual([expect.objectContaining({ userId: existing, source: "scim", status: "active" })]);
  });

  test("no link by email outside a verified domain, nor to a member whose address no IdP verified", async () => {
    const env = await setup();
    const existing = await jitMember(env, true);
    const u1 = await user(env, "someone", { emails: [{ value: "jit@example.com", primary: true }] });
    expect(await linkOf(env, u1.id)).not.toBe(existing); // example.com is not a verified domain of the group
    const env2 = await setup();
    await verifyDomain(env2);
    const planted = await jitMember(env2, false);
    const u2 = await user(env2, "someone", { emails: [{ value: "jit@example.com", primary: true }] });
    expect(await linkOf(env2, u2.id)).not.toBe(planted);
  });

  test("a user of ANOTHER group with the same email is not captured", async () => {
    const env = await setup();
    const foreign = await env.t.run(async (ctx) => {
      const g = await ctx.db.insert("groups", { slug: "other", name: "O", policy: { defaultRole: "member" }, createdAt: 0 });
      const id = await ctx.db.insert("users", { email: "x@example.com", emailLower: "x@example.com", emailVerified: true, createdAt: 0 });
      await ctx.db.insert("memberships", { groupId: g, userId: id, role: "member", roles: ["member"], source: "jit", status: "active", updatedAt: 0 });
      return id;
    });
    const u = await user(env, "x@example.com", { emails: [{ value: "x@example.com" }] });
    expect(await linkOf(env, u.id)).not.toBe(foreign);
    expect(await users(env)).toHaveLength(2);
  });

  test("externalId matches an SSO identity subject of the group's connection", async () => {
    const env = await setup();
    const ssoUser = await env.t.run(async (ctx) => {
      const c = await ctx.db.insert("connections", { groupId: env.groupId, kind: "oidc", name: "Entra", status: "active", config: {}, createdAt: 0, updatedAt: 0 });
      const id = await ctx.db.insert("users", { emailVerified: true, createdAt: 0 });
      await ctx.db.insert("identities", { userId: id, groupId: env.groupId, connectionId: c, provider: `connection:${c}`, subject: "oid-123", lastLoginAt: 0 });
      return id;
    });
    const u = await user(env, "p@example.com", { externalId: "oid-123" });
    expect(await linkOf(env, u.id)).toBe(ssoUser);
  });

  test("matchUsersBy [] in the policy: never link, always a new user", async () => {
    const env = await setup({ policy: { matchUsersBy: [] } });
    await env.t.run(async (ctx) => {
      const id = await ctx.db.insert("users", { email: "m@example.com", emailLower: "m@example.com", emailVerified: true, createdAt: 0 });
      await ctx.db.insert("memberships", { groupId: env.groupId, userId: id, role: "member", roles: ["member"], source: "jit", status: "active", updatedAt: 0 });
    });
    await user(env, "m@example.com", { emails: [{ value: "m@example.com" }] });
    expect(await users(env)).toHaveLength(2);
  });

  test("a later SSO login finds the SCIM-provisioned user (helper for sign-in)", async () => {
    const env = await setup();
    const u = await user(env, "sso@example.com", { externalId: "ext-9", emails: [{ value: "Work@Example.com" }] });
    const gu = await linkOf(env, u.id);
    const find = (who: { subject: string; trustedEmail?: string }) => env.t.run((ctx) => findScimLinkedUser(ctx, env.groupId, who));
    expect(await find({ subject: "ext-9" })).toBe(gu);
    expect(await find({ subject: "SSO@example.com", trustedEmail: "sso@example.com" })).toBe(gu);
    expect(await find({ subject: "unknown", trustedEmail: "work@example.com" })).toBe(gu);
    // An address-shaped subject is not evidence on its own: only a trusted (IdP-verified, verified-domain) email links.
    expect(await find({ subject: "SSO@example.com" })).toBeNull();
    expect(await find({ subject: "unknown" })).toBeNull();
  });
});

describe("deprovisioning", () => {
  test("active:false deactivates the membership and revokes sessions + refresh tokens; active:true restores", async () => {
    const env = await setup();
    const u = await user(env, "leaver@example.com");
    const gu = await linkOf(env, u.id);
    const sid = await seedSession(env, gu);
    const r = await env.scim(`/Users/${u.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } });
    expect(r.status).toBe(200);
    const s = await env.t.run((ctx) => ctx.db.get(sid));
    expect(s!.revokedAt).toBeTypeOf("number");
    expect(await env.t.run((ctx) => ctx.db.query("refreshTokens").collect())).toHaveLength(0);
    expect((await memberships(env))[0]).toMatchObject({ status: "inactive" });
    await env.scim(`/Users/${u.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "True" }] } });
    expect((await memberships(env))[0]).toMatchObject({ status: "active" });
  });

  test("DELETE with policy onDeprovision=remove deletes the membership and revokes sessions; the user stays", async () => {
    const env = await setup({ policy: { onDeprovision: "remove" } });
    const u = await user(env, "gone@example.com");
    const gu = await linkOf(env, u.id);
    const sid = await seedSession(env, gu);
    expect((await env.scim(`/Users/${u.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await memberships(env)).toHaveLength(0);
    expect((await env.t.run((ctx) => ctx.db.get(sid)))!.revokedAt).toBeTypeOf("number");
    expect(await users(env)).toHaveLength(1);
  });

  test("DELETE with the default policy: a person who signed in keeps the user and an inactive membership", async () => {
    const env = await setup();
    const u = await user(env, "gone@example.com");
    const gu = await linkOf(env, u.id);
    await env.t.run((ctx) => ctx.db.insert("identities", { userId: gu, groupId: env.groupId, provider: "dev:x", subject: "gone", lastLoginAt: 0 }));
    await env.scim(`/Users/${u.id}`, { method: "DELETE" });
    expect(await memberships(env)).toEqual([expect.objectContaining({ status: "inactive" })]);
    expect(await users(env)).toHaveLength(1);
  });

  test.each([["deactivate"], ["remove"]])("create/delete churn leaves no gateway users or memberships behind (onDeprovision=%s)", async (policy) => {
    const env = await setup({ policy: { onDeprovision: policy } });
    const kept = await user(env, "stays@example.com");
    for (let i = 0; i < 12; i++) {
      const u = await user(env, `churn${i % 3}@example.com`);
      if (i % 2) await env.scim(`/Users/${u.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } });
      expect((await env.scim(`/Users/${u.id}`, { method: "DELETE" })).status).toBe(204);
    }
    expect(await users(env)).toHaveLength(1);
    expect(await memberships(env)).toEqual([expect.objectContaining({ userId: await linkOf(env, kept.id), status: "active" })]);
  });

  test("DELETE keeps a user another group's membership still refers to", async () => {
    const env = await setup();
    const u = await user(env, "shared@example.com");
    const gu = await linkOf(env, u.id);
    const other = await env.t.run((ctx) => ctx.db.insert("groups", { slug: "other", name: "Other", policy: { defaultRole: "member" }, createdAt: 0 }));
    await env.t.run((ctx) => ctx.db.insert("memberships", { groupId: other, userId: gu, role: "member", roles: ["member"], source: "admin", status: "active", updatedAt: 0 }));
    await env.scim(`/Users/${u.id}`, { method: "DELETE" });
    expect(await users(env)).toHaveLength(1);
    expect((await memberships(env)).map((m) => [m.groupId === other, m.status])).toEqual(expect.arrayContaining([[true, "active"], [false, "inactive"]]));
  });
});

describe("SCIM groups → roles", () => {
  test("rules on displayName/externalId, recomputed on membership change and rename", async () => {
    const env = await setup();
    await env.t.mutation(internal.scim.admin.setRoleRules, {
      directoryId: env.directoryId,
      roleRules: [{ attribute: "displayName", value: "Admins", role: "admin" }, { attribute: "externalId", value: "ext-billing", role: "billing" }],
    });
    const u = await user(env, "r@example.com");
    const role = async () => (await memberships(env))[0]!;
    const g = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "admins", members: [{ value: u.id }] } })).json();
    expect(await role()).toMatchObject({ role: "admin", roles: ["admin"] });
    const b = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "Billing", externalId: "ext-billing" } })).json();
    await env.scim(`/Groups/${b.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: u.id }] }] } });
    expect(await role()).toMatchObject({ role: "admin", roles: ["admin", "billing"] });
    await env.scim(`/Groups/${g.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { id: g.id, displayName: "Former admins" } }] } });
    expect(await role()).toMatchObject({ role: "billing", roles: ["billing"] });
    await env.scim(`/Groups/${b.id}`, { method: "DELETE" });
    expect(await role()).toMatchObject({ role: "member", roles: ["member"] });
  });
});
