// Admin operations: validated where written, errors carry the field path, deletes cascade and revoke.
import { beforeEach, describe, expect, test } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { APP, exchange, newGateway, refresh, seedGroupAndApp, signIn, snapshot, type TestGateway } from "../helpers";

let t: TestGateway;
beforeEach(() => {
  t = newGateway();
});

async function adminError(p: Promise<unknown>) {
  const e = await p.then(() => null, (err: { data?: { kind: string; path: string } }) => err);
  expect(e?.data?.kind).toBe("AdminError");
  return e!.data!.path;
}

describe("groups", () => {
  test.each([
    [{ slug: "Has Space", name: "x" }, "slug"],
    [{ slug: "ok", name: "  " }, "name"],
    [{ slug: "ok", name: "x", domains: ["not a domain"] }, "domains.0"],
    [{ slug: "ok", name: "x", domains: ["good.example", "@bad"] }, "domains.1"],
  ])("create %j is refused at %s and writes nothing", async (args, path) => {
    const before = await snapshot(t);
    expect(await adminError(t.mutation(internal.admin.groups.create, args))).toBe(path);
    expect(await snapshot(t)).toEqual(before);
  });

  test("slugs and domains are unique across groups; domains are normalised", async () => {
    const id = await t.mutation(internal.admin.groups.create, { slug: "acme", name: "Acme", domains: ["@ACME.com", "acme.com"] });
    expect((await t.query(internal.admin.groups.get, { slug: "acme" }))!.domains).toEqual(["acme.com"]);
    expect(await adminError(t.mutation(internal.admin.groups.create, { slug: "acme", name: "Again" }))).toBe("slug");
    expect(await adminError(t.mutation(internal.admin.groups.create, { slug: "other", name: "O", domains: ["acme.com"] }))).toBe("domains");
    await t.mutation(internal.admin.groups.update, { groupId: id, name: "Acme Inc", domains: ["acme.io"], policy: { defaultRole: "viewer" } });
    expect(await t.query(internal.admin.groups.get, { slug: "acme" })).toMatchObject({ name: "Acme Inc", domains: ["acme.io"], policy: { defaultRole: "viewer" } });
  });

  test("domain verification is the deployment admin's word, kept across updates, only for the group's own domains", async () => {
    const g = await t.mutation(internal.admin.groups.create, { slug: "acme", name: "Acme", domains: ["acme.example"] });
    await t.mutation(internal.admin.groups.create, { slug: "other", name: "Other", domains: ["other.example"] });
    expect(await t.query(internal.admin.groups.get, { slug: "acme" })).toMatchObject({ domains: ["acme.example"], verifiedDomains: [] });
    await t.mutation(internal.admin.groups.setDomainVerified, { groupId: g, domain: "ACME.example", verified: true });
    await t.mutation(internal.admin.groups.update, { groupId: g, domains: ["acme.example", "acme-labs.example"] });
    expect(await t.query(internal.admin.groups.get, { slug: "acme" })).toMatchObject({ verifiedDomains: ["acme.example"] });
    await expect(t.mutation(internal.admin.groups.setDomainVerified, { groupId: g, domain: "other.example", verified: true })).rejects.toMatchObject({
      data: { kind: "AdminError", path: "domain" },
    });
    expect(await t.query(internal.admin.groups.get, { slug: "other" })).toMatchObject({ verifiedDomains: [] });
    const events = await t.run((ctx) => ctx.db.query("events").collect());
    expect(events.filter((e) => e.type === "domain.verified")).toHaveLength(1);
  });

  test("a domain verified for one group cannot be verified for another (a portal claim of the same name)", async () => {
    const acme = await t.mutation(internal.admin.groups.create, { slug: "acme", name: "Acme" });
    const rival = await t.mutation(internal.admin.groups.create, { slug: "rival", name: "Rival" });
    // Two unverified claims of one domain, as the setup portal records them; the other group's comes first.
    await t.run(async (ctx) => {
      await ctx.db.insert("domains", { groupId: rival, domain: "acme.example", verified: false, verificationToken: "tok" });
      await ctx.db.insert("domains", { groupId: acme, domain: "acme.example", verified: false, verificationToken: "tok2" });
    });
    await t.mutation(internal.admin.groups.setDomainVerified, { groupId: acme, domain: "acme.example", verified: true });
    await expect(t.mutation(internal.admin.groups.setDomainVerified, { groupId: rival, domain: "acme.example", verified: true })).rejects.toMatchObject({
      data: { kind: "AdminError", path: "domain" },
    });
    expect(await t.query(internal.admin.groups.get, { slug: "rival" })).toMatchObject({ verifiedDomains: [] });
    expect(await t.query(internal.admin.groups.get, { slug: "acme" })).toMatchObject({ verifiedDomains: ["acme.example"] });
  });

  test("removing a group removes its domains, connections, memberships and sessions", async () => {
    const groupId = await seedGroupAndApp(t);
    const c = await signIn(t, groupId);
    const tok = await (await exchange(t, c.code, c.verifier)).json();
    expect(await t.mutation(internal.admin.groups.remove, { groupId })).toEqual({ done: true });
    const db = await snapshot(t);
    expect(db.groups).toEqual([]);
    expect(db.domains).toEqual([]);
    expect(db.memberships).toEqual([]);
    expect(db.sessions).toEqual([]);
    expect((await refresh(t, tok.refresh_token)).status).toBe(400);
  });
});

describe("apps", () => {
  test.each([
    [{ clientId: "x", name: "n", redirectUris: [APP.redirectUri] }, "clientId"],
    [{ clientId: "app-1", name: "n", redirectUris: [] }, "redirectUris"],
    [{ clientId: "app-1", name: "n", redirectUris: ["http://app.example.com/cb"] }, "redirectUris.0"],
    [{ clientId: "app-1", name: "n", redirectUris: ["https://a.example/cb", "https://a.example/cb#frag"] }, "redirectUris.1"],
    [{ clientId: "app-1", name: "n", redirectUris: ["/relative"] }, "redirectUris.0"],
  ])("create %j is refused at %s", async (args, path) => {
    expect(await adminError(t.mutation(internal.admin.apps.create, args))).toBe(path);
  });

  test("loopback http redirect URIs are allowed for development; audience defaults to the app's own client_id", async () => {
    await t.mutation(internal.admin.apps.create, { clientId: "dev-app", name: "Dev", redirectUris: ["http://localhost:5173/cb", "http://127.0.0.1:3000/cb"] });
    expect(await t.query(internal.admin.apps.list, {})).toMatchObject([{ clientId: "dev-app", audience: "dev-app" }]);
  });
});

describe("memberships", () => {
  test("upsert adds a member by email; removing a membership revokes that user's sessions", async () => {
    const groupId = await seedGroupAndApp(t);
    const c = await signIn(t, groupId, { email: "ada@acme.example" });
    const tok = await (await exchange(t, c.code, c.verifier)).json();
    await t.mutation(internal.admin.memberships.upsert, { groupId, email: "bob@acme.example", roles: ["viewer"] });
    const page = await t.query(internal.admin.memberships.list, { groupId });
    expect(page.page).toHaveLength(2);
    const ada = page.page.find((m) => m.userId === c.userId)!;
    await t.mutation(internal.admin.memberships.remove, { membershipId: ada._id });
    expect(await (await refresh(t, tok.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect(await adminError(t.mutation(internal.admin.memberships.upsert, { groupId, email: "nope", roles: ["x"] }))).toBe("email");
    expect(await adminError(t.mutation(internal.admin.memberships.upsert, { groupId, email: "c@acme.example", roles: [] }))).toBe("roles");
  });
});
