// The setup portal through convex/http.ts (convex-test): setup links (single use, expiry, revocation, forgery),
// the session cookie, CSRF on every form, bad input that changes nothing (private metadata URL, DTD upload),
// DNS-over-HTTPS domain verification against a stub on 127.0.0.1, and the audit trail.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { lookupTxt, normalizeDomain, DohError } from "../../src/portal/doh";
import { APP, newGateway, pkcePair, seedGroupAndApp, type TestGateway } from "../helpers";

let t: TestGateway;
let groupId: Id<"groups">;

async function newLink(intents?: Array<"sso" | "scim" | "domains" | "traces">) {
  const { url, linkId } = await t.mutation(internal.portal.links.create, { group: "acme", ...(intents ? { intents } : {}) });
  return { token: new URL(url).searchParams.get("t")!, linkId, url };
}

async function redeem(token: string) {
  return t.fetch("/portal/link", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token }).toString() });
}

/** Open a session: the cookie and the CSRF token of its forms. */
async function openSession(intents?: Array<"sso" | "scim" | "domains" | "traces">) {
  const { token, linkId } = await newLink(intents);
  const res = await redeem(token);
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const home = await (await t.fetch("/portal/", { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(home)![1]!;
  return { cookie, csrf, linkId };
}

function post(path: string, cookie: string, fields: Record<string, string>) {
  return t.fetch(path, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
}

async function count(table: "connections" | "domains" | "portalSessions" | "events") {
  return t.run(async (ctx) => (await ctx.db.query(table).collect()).length);
}

beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t, "acme");
});

describe("setup links", () => {
  it("GET shows the group and consumes nothing; POST opens one session with a hardened cookie; the link then is spent", async () => {
    const { token } = await newLink();
    const get = await t.fetch(`/portal/link?t=${token}`);
    expect(get.status).toBe(200);
    expect(get.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await get.text()).toContain("Acme Corp");
    expect(await count("portalSessions")).toBe(0);

    const res = await redeem(token);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portal/");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^gw_portal=[A-Za-z0-9_-]{43}; Path=\/portal; HttpOnly; SameSite=Lax; Max-Age=3600; Secure$/);

    const again = await redeem(token);
    expect(again.status).toBe(410);
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await again.text()).toContain("already used");
    expect(await count("portalSessions")).toBe(1);
    // Only the hash is stored.
    const stored = await t.run((ctx) => ctx.db.query("portalLinks").collect());
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("forged, expired and revoked links give a clear page and no session", async () => {
    const forged = await redeem(`psl_${"A".repeat(43)}`);
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain("not valid");
    const { token, linkId } = await newLink();
    await t.run((ctx) => ctx.db.patch(linkId, { expiresAt: Date.now() - 1 }));
    const expired = await redeem(token);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("expired");
    const second = await newLink();
    await t.mutation(internal.portal.links.revoke, { linkId: second.linkId });
    expect((await redeem(second.token)).status).toBe(410);
    expect(await count("portalSessions")).toBe(0);
  });

  it("revoking a link ends the sessions it opened; an expired session is over too", async () => {
    const s = await openSession();
    expect((await t.fetch("/portal/", { headers: { cookie: s.cookie } })).status).toBe(200);
    await t.mutation(internal.portal.links.revoke, { linkId: s.linkId });
    expect((await t.fetch("/portal/", { headers: { cookie: s.cookie } })).status).toBe(401);
    const s2 = await openSession();
    await t.run(async (ctx) => {
      for (const row of await ctx.db.query("portalSessions").collect()) await ctx.db.patch(row._id, { expiresAt: Date.now() - 1 });
    });
    expect((await t.fetch("/portal/", { headers: { cookie: s2.cookie } })).status).toBe(401);
  });

  it("refuses bad link arguments", async () => {
    await expect(t.mutation(internal.portal.links.create, { group: "nope" })).rejects.toThrow(/no group/);
    await expect(t.mutation(internal.portal.links.create, { group: "acme", expiresInDays: 0 })).rejects.toThrow(/expiresInDays/);
    await expect(t.mutation(internal.portal.links.create, { group: "acme", intents: [] })).rejects.toThrow(/intents/);
  });

  it("intents limit the pages; the operator overview lists the links", async () => {
    const s = await openSession(["domains"]);
    expect((await t.fetch("/portal/domains", { headers: { cookie: s.cookie } })).status).toBe(200);
    expect((await t.fetch("/portal/sso", { headers: { cookie: s.cookie } })).status).toBe(404);
    expect((await post("/portal/sso/new", s.cookie, { csrf: s.csrf, idp: "okta" })).status).toBe(404);
    const overview = await t.query(internal.portal.links.overview, {});
    expect(overview[0]!.links[0]).toMatchObject({ intents: ["domains"], state: "used" });
  });
});

describe("CSRF and bad input", () => {
  it("every form without its CSRF token (or with another one) is refused with 403 and changes nothing", async () => {
    const s = await openSession();
    const before = { connections: await count("connections"), domains: await count("domains") };
    for (const [path, fields] of [
      ["/portal/sso/new", { idp: "okta" }],
      ["/portal/domains", { domain: "evil.example" }],
      ["/portal/scim/new", { name: "x" }],
      ["/portal/logout", {}],
    ] as const) {
      expect((await post(path, s.cookie, fields)).status, path).toBe(403);
      expect((await post(path, s.cookie, { ...fields, csrf: "A".repeat(32) })).status, path).toBe(403);
    }
    expect({ connections: await count("connections"), domains: await count("domains") }).toEqual(before);
    expect((await t.fetch("/portal/", { headers: { cookie: s.cookie } })).status).toBe(200); // still signed in
  });

  it("a private metadata URL is a field error and nothing is stored; an uploaded XML with a DTD is refused", async () => {
    const s = await openSession();
    const created = await post("/portal/sso/new", s.cookie, { csrf: s.csrf, idp: "okta" });
    const path = created.headers.get("location")!;
    const before = await t.run(async (ctx) => (await ctx.db.query("connections").collect()).map((c) => c.config));

    const res = await post(`${path}/idp`, s.cookie, { csrf: s.csrf, metadataUrl: "https://10.0.0.7/metadata" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/id="metadataUrl-error">Metadata URL: [^<]*private/);

    const body = new FormData();
    body.set("csrf", s.csrf);
    body.set("metadataUrl", "");
    body.set("metadataFile", new Blob(['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">&e;</md:EntityDescriptor>'], { type: "text/xml" }), "idp.xml");
    const dtd = await t.fetch(`${path}/idp`, { method: "POST", headers: { cookie: s.cookie }, body });
    expect(dtd.status).toBe(400);
    expect(await dtd.text()).toMatch(/id="metadataFile-error">Metadata file: [^<]*(DTD|entity)/i);

    expect(await t.run(async (ctx) => (await ctx.db.query("connections").collect()).map((c) => c.config))).toEqual(before);
    // Not configured: no test, no activation.
    expect((await post(`${path}/test`, s.cookie, { csrf: s.csrf })).status).toBe(409);
    expect((await post(`${path}/activate`, s.cookie, { csrf: s.csrf })).status).toBe(409);
  });

  it("a pending connection is not used by /sso/authorize", async () => {
    const s = await openSession();
    await post("/portal/sso/new", s.cookie, { csrf: s.csrf, idp: "okta" });
    expect(await t.run(async (ctx) => (await ctx.db.query("connections").collect()).map((c) => c.status))).toEqual(["pending"]);
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, code_challenge: challenge, code_challenge_method: "S256", group: "acme" });
    const res = await t.fetch(`/sso/authorize?${q}`);
    expect(new URL(res.headers.get("location")!).searchParams.get("error_description")).toContain("no active single sign-on connection");
  });
});

describe("domains over DNS-over-HTTPS", () => {
  let doh: Server;
  const txt = new Map<string, string[]>();
  beforeAll(async () => {
    doh = createServer((req, res) => {
      const q = new URL(req.url ?? "/", "http://x").searchParams;
      const values = txt.get(q.get("name") ?? "") ?? [];
      res.writeHead(200, { "content-type": "application/dns-json" });
      res.end(JSON.stringify({ Status: 0, Answer: values.map((v) => ({ type: 16, data: `"${v.slice(0, 10)}" "${v.slice(10)}"` })) }));
    });
    await new Promise<void>((ok) => doh.listen(0, "127.0.0.1", () => ok()));
    process.env.GATEWAY_DOH_URL = `http://127.0.0.1:${(doh.address() as AddressInfo).port}/dns-query`;
  });
  afterAll(async () => {
    delete process.env.GATEWAY_DOH_URL;
    await new Promise((ok) => doh.close(ok));
  });

  it("add → TXT record → Verify; only a verified domain routes a login_hint", async () => {
    const s = await openSession();
    await t.mutation(internal.admin.seed.apply, { groups: [{ slug: "other", name: "Other", policy: { defaultRole: "member" } }], apps: [] });
    expect((await post("/portal/domains", s.cookie, { csrf: s.csrf, domain: "Ada-Labs.Example." })).status).toBe(303);
    const row = await t.run(async (ctx) => (await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", "ada-labs.example")).unique())!);
    expect(row.verified).toBe(false);

    const { challenge } = await pkcePair();
    const authorize = async (hint: string) => {
      const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, code_challenge: challenge, code_challenge_method: "S256", login_hint: hint });
      return new URL((await t.fetch(`/sso/authorize?${q}`)).headers.get("location")!).searchParams.get("error_description");
    };
    expect(await authorize("ada@ada-labs.example")).toBe("no single sign-on is set up for this email domain");

    const notYet = await post(`/portal/domains/${row._id}/verify`, s.cookie, { csrf: s.csrf });
    expect(notYet.status).toBe(400);
    expect(await notYet.text()).toContain("_convex-sso-challenge.ada-labs.example");

    txt.set("_convex-sso-challenge.ada-labs.example", [`convex-sso-verification=${row.verificationToken}`]);
    const ok = await post(`/portal/domains/${row._id}/verify`, s.cookie, { csrf: s.csrf });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("ada-labs.example is verified");
    // Verified: discovery now finds the group (which has no active connection in this test).
    expect(await authorize("ada@ada-labs.example")).toBe("the group has no active single sign-on connection");

    // Another group cannot claim a verified domain.
    const types = (await t.run((ctx) => ctx.db.query("events").collect())).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["portal.link.created", "portal.session.opened", "portal.domain.added", "portal.domain.verified", "domain.verified"]));
    const other = await t.mutation(internal.portal.links.create, { group: "other" });
    const res = await redeem(new URL(other.url).searchParams.get("t")!);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await t.fetch("/portal/", { headers: { cookie } })).text())![1]!;
    const taken = await post("/portal/domains", cookie, { csrf, domain: "ada-labs.example" });
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain("verified by another organisation");
    void groupId;
  });
});

describe("DoH core", () => {
  const stub = (body: unknown, status = 200) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
  it("joins character-strings, treats NXDOMAIN as empty, refuses bad answers", async () => {
    const opts = (f: typeof fetch) => ({ resolverUrl: "http://127.0.0.1:1/dns-query", fetch: f });
    expect(await lookupTxt("x.example", opts(stub({ Status: 0, Answer: [{ type: 16, data: '"ab" "cd"' }, { type: 5, data: "cname." }] })))).toEqual(["abcd"]);
    expect(await lookupTxt("x.example", opts(stub({ Status: 3 })))).toEqual([]);
    await expect(lookupTxt("x.example", opts(stub({ Status: 2 })))).rejects.toBeInstanceOf(DohError);
    await expect(lookupTxt("x.example", opts(stub({}, 502)))).rejects.toThrow(/HTTP 502/);
    await expect(lookupTxt("x.example", opts((async () => new Response("<html>")) as unknown as typeof fetch))).rejects.toThrow(/not JSON/);
  });
  it("normalises domains and names the rule", () => {
    expect(normalizeDomain(" @Example.COM. ")).toEqual({ domain: "example.com" });
    for (const bad of ["localhost", "a..b", "-x.com", "x_y.com", "http://x.com", "1.2.3.4"]) expect(normalizeDomain(bad)).toHaveProperty("error");
  });
});
