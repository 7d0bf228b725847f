// The operator page through convex/http.ts (convex-test): operator links (single use, expiry, withdrawal,
// forgery → a clear page and no session), the operator cookie, the overview's content (connections with their
// tested state, directories with tokens and last request, domains, setup links), creating and revoking setup
// links with CSRF, and the audit trail.
import { beforeEach, describe, expect, it } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { newGateway, seedGroupAndApp, type TestGateway } from "../helpers";

let t: TestGateway;
let groupId: Id<"groups">;

const post = (path: string, fields: Record<string, string>, cookie?: string) =>
  t.fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) }, body: new URLSearchParams(fields).toString() });

async function operatorLink() {
  const { url, linkId } = await t.mutation(internal.portal.operator.createLink, { createdBy: "cli" });
  return { token: new URL(url).searchParams.get("t")!, linkId, url };
}

async function openOperator() {
  const { token, linkId } = await operatorLink();
  const res = await post("/portal/operator/link", { token });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/portal/operator/");
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const html = await (await t.fetch("/portal/operator/", { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf, linkId, html };
}

const count = (table: "operatorSessions" | "portalLinks") => t.run(async (ctx) => (await ctx.db.query(table).collect()).length);

beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t, "acme");
});

describe("operator links", () => {
  it("GET consumes nothing; POST opens one session with its own hardened cookie; the link then is spent", async () => {
    const { token, url } = await operatorLink();
    expect(url).toMatch(/\/portal\/operator\/link\?t=pol_[A-Za-z0-9_-]{43}$/);
    const get = await t.fetch(`/portal/operator/link?t=${token}`);
    expect(get.status).toBe(200);
    expect(get.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await get.text()).toContain("Open the operator page");
    expect(await count("operatorSessions")).toBe(0);

    const res = await post("/portal/operator/link", { token });
    expect(res.headers.get("set-cookie")).toMatch(/^gw_operator=[A-Za-z0-9_-]{43}; Path=\/portal\/operator; HttpOnly; SameSite=Lax; Max-Age=3600; Secure$/);
    const again = await post("/portal/operator/link", { token });
    expect(again.status).toBe(410);
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await again.text()).toContain("already used");
    expect(await count("operatorSessions")).toBe(1);
    expect(JSON.stringify(await t.run((ctx) => ctx.db.query("operatorLinks").collect()))).not.toContain(token);
  });

  it("forged, expired and withdrawn links: a clear page and no session; withdrawing a link ends its sessions", async () => {
    for (const forged of [`pol_${"A".repeat(43)}`, `psl_${"A".repeat(43)}`, "pol_short", ""]) {
      const res = await post("/portal/operator/link", { token: forged });
      expect(res.status, forged).toBe(404);
      expect(await res.text()).toContain("not valid");
    }
    const expired = await operatorLink();
    await t.run((ctx) => ctx.db.patch(expired.linkId, { expiresAt: Date.now() - 1 }));
    const r = await post("/portal/operator/link", { token: expired.token });
    expect(r.status).toBe(410);
    expect(await r.text()).toContain("expired");
    expect(await count("operatorSessions")).toBe(0);

    const s = await openOperator();
    await t.mutation(internal.portal.operator.revokeLink, { linkId: s.linkId });
    const after = await t.fetch("/portal/operator/", { headers: { cookie: s.cookie } });
    expect(after.status).toBe(401);
    expect(await after.text()).toContain("operator session has ended");
    await expect(t.mutation(internal.portal.operator.createLink, { expiresInMinutes: 61 })).rejects.toThrow(/expiresInMinutes/);
  });

  it("a setup-portal session does not open the operator page, nor the reverse", async () => {
    const setup = await t.mutation(internal.portal.links.create, { group: "acme" });
    const res = await post("/portal/link", { token: new URL(setup.url).searchParams.get("t")! });
    const portalCookie = res.headers.get("set-cookie")!.split(";")[0]!;
    expect((await t.fetch("/portal/operator/", { headers: { cookie: portalCookie } })).status).toBe(401);
    const op = await openOperator();
    expect((await t.fetch("/portal/", { headers: { cookie: op.cookie } })).status).toBe(401);
    // An operator cookie value presented under the portal's cookie name is not a portal session either.
    expect((await t.fetch("/portal/", { headers: { cookie: op.cookie.replace("gw_operator", "gw_portal") } })).status).toBe(401);
  });
});

describe("operator overview", () => {
  it("lists groups with connections (active, tested), directories (tokens, last request), domains and setup links", async () => {
    const dir = await t.mutation(internal.scim.admin.createDirectory, { groupId, name: "Acme Okta" });
    const minted = await t.mutation(internal.scim.admin.mintToken, { directoryId: dir.directoryId });
    expect((await t.fetch(`/scim/v2/${dir.slug}/Users?count=1`, { headers: { authorization: `Bearer ${minted.token}` } })).status).toBe(200);
    await t.run(async (ctx) => {
      await ctx.db.insert("domains", { groupId, domain: "acme.example", verified: true } as never);
      await ctx.db.insert("domains", { groupId, domain: "acme-labs.example", verified: false } as never);
    });
    await t.mutation(internal.portal.links.create, { group: "acme", intents: ["scim"], createdBy: "cli" });

    const overview = await t.query(internal.portal.links.overview, {});
    expect(overview[0]).toMatchObject({
      group: "acme",
      directories: [{ slug: dir.slug, activeTokens: 1, lastRequest: { method: "GET", path: "/Users", status: 200 } }],
      domains: expect.arrayContaining([{ domain: "acme.example", verified: true }, { domain: "acme-labs.example", verified: false }]),
      links: [{ intents: ["scim"], state: "open", createdBy: "cli" }],
    });

    const { html } = await openOperator();
    expect(html).toContain("Acme Corp");
    expect(html).toContain("Acme Okta");
    expect(html).toContain("GET /Users");
    expect(html).toContain("1 active token");
    expect(html).toMatch(/>acme\.example<\/span><span class="badge verified">verified/);
    expect(html).toMatch(/>acme-labs\.example<\/span><span class="badge unverified">unverified/);
    expect(html).toContain('<span class="badge open">open</span>');
    expect(html).not.toContain(minted.token);
  });

  it("create a setup link (shown once) and revoke it, each with the CSRF token; without it: 403 and nothing changes", async () => {
    const s = await openOperator();
    const before = await count("portalLinks");
    expect((await post("/portal/operator/links", { groupId, intent_sso: "1" }, s.cookie)).status).toBe(403);
    expect((await post("/portal/operator/links", { groupId, intent_sso: "1", csrf: "x".repeat(32) }, s.cookie)).status).toBe(403);
    expect((await post("/portal/operator/links", { csrf: s.csrf, groupId, intent_sso: "1" })).status).toBe(401); // no cookie
    expect(await count("portalLinks")).toBe(before);

    const none = await post("/portal/operator/links", { csrf: s.csrf, groupId, days: "7" }, s.cookie);
    expect(none.status).toBe(400);
    expect(await none.text()).toContain("Choose at least one");

    const created = await post("/portal/operator/links", { csrf: s.csrf, groupId, intent_sso: "1", intent_domains: "1", days: "1" }, s.cookie);
    expect(created.status).toBe(200);
    const html = await created.text();
    const url = /id="new-link" value="([^"]+)"/.exec(html)![1]!;
    const token = new URL(url.replace(/&amp;/g, "&")).searchParams.get("t")!;
    const link = (await t.run((ctx) => ctx.db.query("portalLinks").collect())).at(-1)!;
    expect(link).toMatchObject({ intents: ["sso", "domains"], createdBy: "operator (cli)" });
    expect(link.expiresAt - link.createdAt).toBe(86_400_000);
    expect((await t.query(internal.portal.session.inspectLink, { token })).ok).toBe(true);
    // Shown once: the next view of the page has no link in it.
    expect(await (await t.fetch("/portal/operator/", { headers: { cookie: s.cookie } })).text()).not.toContain(token);

    // The IT admin opens it; the operator revokes it: the portal session ends.
    const opened = await post("/portal/link", { token });
    const portalCookie = opened.headers.get("set-cookie")!.split(";")[0]!;
    expect((await t.fetch("/portal/", { headers: { cookie: portalCookie } })).status).toBe(200);
    expect((await post(`/portal/operator/links/${link._id}/revoke`, {}, s.cookie)).status).toBe(403);
    const revoked = await post(`/portal/operator/links/${link._id}/revoke`, { csrf: s.csrf }, s.cookie);
    expect(revoked.status).toBe(303);
    expect((await t.fetch("/portal/", { headers: { cookie: portalCookie } })).status).toBe(401);
    expect((await post(`/portal/operator/links/nope/revoke`, { csrf: s.csrf }, s.cookie)).status).toBe(404);

    const events = await t.run((ctx) => ctx.db.query("events").collect());
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["operator.link.created", "operator.session.opened", "operator.setup_link.created", "operator.setup_link.revoked", "portal.link.revoked"]));
    expect(JSON.stringify(events)).not.toContain(token);

    const out = await post("/portal/operator/logout", { csrf: s.csrf }, s.cookie);
    expect(out.headers.get("set-cookie")).toMatch(/^gw_operator=; Path=\/portal\/operator;.*Max-Age=0/);
    expect((await t.fetch("/portal/operator/", { headers: { cookie: s.cookie } })).status).toBe(401);
  });
});
