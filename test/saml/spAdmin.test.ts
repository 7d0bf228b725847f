// Admin side: config validated on write (dotted path in the ConvexError, nothing written), creation from a
// metadata URL under the SSRF guard (fetch injected), scheduled refresh with certificate history, expiry
// warnings, the SP metadata route, and the local gateway's idempotent seeding helper.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConvexError } from "convex/values";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { newGateway, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";
import { createTestSamlIdp } from "../../local/samlIdp";
import { parseCertificate } from "../../src/saml/x509";
import { counts, IDP_BASE, testIdp } from "./samlFlow";

const idp = testIdp();
let t: TestGateway;
let groupId: Id<"groups">;

beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

async function convexErrorData(p: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConvexError) return e.data as Record<string, any>;
    // convex-test may rethrow the ConvexError data as JSON in the message
    const m = String((e as Error).message).match(/\{.*\}/s);
    if (m) return JSON.parse(m[0]);
    throw e;
  }
  throw new Error("expected a ConvexError");
}

describe("config is validated where it is written", () => {
  it("createConnection by hand with a bad certificate: SamlConfigError at idp.certificates.0, nothing written", async () => {
    const before = await counts(t);
    const data = await convexErrorData(
      t.action(internal.saml.admin.createConnection, {
        groupId,
        name: "Manual",
        config: { idp: { entityId: "https://idp.example", ssoUrls: { redirect: "https://idp.example/sso" }, certificates: ["MIIB-not-a-cert"] } },
      }),
    );
    expect(data).toMatchObject({ kind: "SamlConfigError", path: "idp.certificates.0" });
    expect(await counts(t)).toEqual(before);
  });

  it("createConnection from metadata plus a bad admin choice: path security.clockSkewSec", async () => {
    const before = await counts(t);
    const data = await convexErrorData(
      t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml, config: { security: { clockSkewSec: -1 } } }),
    );
    expect(data).toMatchObject({ kind: "SamlConfigError", path: "security.clockSkewSec" });
    expect(await counts(t)).toEqual(before);
  });

  it("createConnection by hand (entity ID, SSO URL, certificate) works and records the trusted cert", async () => {
    const id = await t.action(internal.saml.admin.createConnection, {
      groupId,
      name: "Manual",
      config: { idp: { entityId: idp.entityId, ssoUrls: { post: `${IDP_BASE}/sso` }, certificates: [idp.certificate] }, mapping: { preset: "okta" } },
    });
    const history = await t.run((ctx) => ctx.db.query("samlCertChanges").collect());
    expect(history).toMatchObject([{ connectionId: id, change: "added", source: "admin", sha256: (await parseCertificate(idp.certificate)).sha256 }]);
  });

  it("updateConnection with an invalid field keeps the old config", async () => {
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml });
    const before = await snapshot(t);
    const data = await convexErrorData(
      t.mutation(internal.saml.admin.updateConnection, { connectionId: id, config: { idp: { entityId: "" }, extra: 1 } }),
    );
    expect(data.kind).toBe("SamlConfigError");
    expect(data.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(["idp.entityId", "idp.ssoUrls", ""]));
    expect(await snapshot(t)).toEqual(before);
  });

  it("bad metadata XML: SamlMetadataError with its code", async () => {
    const data = await convexErrorData(
      t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: "<!DOCTYPE x><x/>" }),
    );
    expect(data).toMatchObject({ kind: "SamlMetadataError", code: "metadata_dtd_refused" });
  });
});

describe("metadata URL (fetched in an action, SSRF guard)", () => {
  function serve(body: () => string, calls: string[] = []) {
    vi.stubGlobal("fetch", async (u: string) => {
      calls.push(String(u));
      return new Response(body(), { status: 200, headers: { "content-type": "application/samlmetadata+xml" } });
    });
    return calls;
  }

  it("https public URL: fetched, parsed, stored with the URL", async () => {
    const calls = serve(() => idp.metadataXml);
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "ByUrl", metadataUrl: "https://idp.example.test/metadata" });
    expect(calls).toEqual(["https://idp.example.test/metadata"]);
    const c = await t.run((ctx) => ctx.db.get(id));
    expect(c!.config.idp.metadataUrl).toBe("https://idp.example.test/metadata");
    expect(c!.config.idp.entityId).toBe(idp.entityId);
  });

  it.each([
    ["http://idp.example.test/metadata", "url_not_https"],
    ["https://127.0.0.1/metadata", "url_private_address"],
    ["https://10.1.2.3/metadata", "url_private_address"],
    ["https://169.254.169.254/latest/meta-data/", "url_private_address"],
    ["https://[::1]/metadata", "url_private_address"],
    ["https://printer.local/metadata", "url_private_address"],
  ])("%s → %s, never fetched, nothing written", async (url, code) => {
    const calls = serve(() => idp.metadataXml);
    const before = await counts(t);
    const data = await convexErrorData(t.action(internal.saml.admin.createConnection, { groupId, name: "X", metadataUrl: url }));
    expect(data).toMatchObject({ kind: "SamlMetadataError", code });
    expect(calls).toEqual([]);
    expect(await counts(t)).toEqual(before);
  });

  it("oversize metadata is refused", async () => {
    serve(() => idp.metadataXml + "<!--" + "x".repeat(1_100_000) + "-->");
    const data = await convexErrorData(t.action(internal.saml.admin.createConnection, { groupId, name: "X", metadataUrl: "https://idp.example.test/md" }));
    expect(data).toMatchObject({ kind: "SamlMetadataError", code: "fetch_too_large" });
  });

  it("GATEWAY_LOCAL=1 (local gateway only) allows the loopback test IdP over http", async () => {
    vi.stubEnv("GATEWAY_LOCAL", "1");
    serve(() => idp.metadataXml);
    await expect(t.action(internal.saml.admin.createConnection, { groupId, name: "Local", metadataUrl: "http://127.0.0.1:3210/_idp/saml/metadata" })).resolves.toBeTruthy();
  });
});

describe("scheduled refresh and certificate history", () => {
  it("a rotated IdP certificate in the re-fetched metadata is recorded (added + removed) and becomes trusted", async () => {
    let current = idp.metadataXml;
    serve(() => current);
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "ByUrl", metadataUrl: "https://idp.example.test/metadata" });
    const rotated = createTestSamlIdp({ baseUrl: IDP_BASE });
    current = rotated.metadataXml;
    await t.action(internal.saml.cron.refreshAll, {});
    const c = await t.run((ctx) => ctx.db.get(id));
    expect(c!.config.idp.certificates).toEqual([rotated.certificate]);
    const changes = await t.run((ctx) => ctx.db.query("samlCertChanges").collect());
    expect(changes.map((ch) => [ch.change, ch.source])).toEqual([
      ["added", "admin"],
      ["added", "metadata_url"],
      ["removed", "metadata_url"],
    ]);
    const events = await t.run((ctx) => ctx.db.query("events").collect());
    expect(events.some((e) => e.type === "saml.certificates.changed")).toBe(true);
    const state = await t.run((ctx) => ctx.db.query("samlMetadataState").collect());
    expect(state[0]!.lastError).toBeUndefined();
  });

  it("a failing fetch is recorded; trusted certificates stay as they were", async () => {
    let fail = false;
    vi.stubGlobal("fetch", async () => (fail ? new Response("down", { status: 503 }) : new Response(idp.metadataXml)));
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "ByUrl", metadataUrl: "https://idp.example.test/metadata" });
    fail = true;
    await t.action(internal.saml.cron.refreshAll, {});
    const c = await t.run((ctx) => ctx.db.get(id));
    expect(c!.config.idp.certificates).toEqual([idp.certificate]);
    const state = await t.run((ctx) => ctx.db.query("samlMetadataState").collect());
    expect(state[0]!.lastError).toMatch(/503/);
    const events = await t.run((ctx) => ctx.db.query("events").collect());
    expect(events.some((e) => e.type === "saml.metadata.refresh_failed")).toBe(true);
  });

  it("an event is raised once when a trusted certificate is within 30 days of expiry", async () => {
    await t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml });
    const { notAfter } = await parseCertificate(idp.certificate);
    expect(await t.mutation(internal.saml.cron.checkExpiry, { now: notAfter - 31 * 86_400_000 })).toBe(0);
    expect(await t.mutation(internal.saml.cron.checkExpiry, { now: notAfter - 30 * 86_400_000 })).toBe(1);
    expect(await t.mutation(internal.saml.cron.checkExpiry, { now: notAfter - 29 * 86_400_000 })).toBe(0);
    const events = await t.run((ctx) => ctx.db.query("events").collect());
    const ev = events.filter((e) => e.type === "connection.certificate_expiring");
    expect(ev).toHaveLength(1);
    expect(ev[0]!.data.daysLeft).toBe(30);
  });

  function serve(body: () => string) {
    vi.stubGlobal("fetch", async () => new Response(body(), { status: 200 }));
  }
});

describe("SP metadata route and seeding", () => {
  it("GET /sso/saml/{id}/metadata serves the SP metadata; unknown ids 404", async () => {
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml });
    const res = await t.fetch(`/sso/saml/${id}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/samlmetadata+xml");
    const xml = await res.text();
    expect(xml).toContain(`entityID="https://gw.example.test/sso/saml/${id}/metadata"`);
    expect(xml).toContain(`Location="https://gw.example.test/sso/saml/${id}/acs"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).not.toContain("SingleLogoutService"); // SLO off by default
    expect(xml).not.toContain("PRIVATE");
    expect((await t.fetch(`/sso/saml/nope/metadata`)).status).toBe(404);
    expect((await t.fetch(`/sso/saml/${id}/other`)).status).toBe(404);
    expect((await t.fetch(`/sso/saml/${id}/metadata/../acs`)).status).toBe(404);
  });

  it("describeConnection shows the SP values, certificates with expiry, history — and no private key", async () => {
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml });
    const d = await t.query(internal.saml.admin.describeConnection, { connectionId: id });
    expect(d!.sp).toEqual({
      entityId: `https://gw.example.test/sso/saml/${id}/metadata`,
      acsUrl: `https://gw.example.test/sso/saml/${id}/acs`,
      metadataUrl: `https://gw.example.test/sso/saml/${id}/metadata`,
      sloUrl: null,
    });
    expect(d!.idpCertificates[0]!.sha256).toBe((await parseCertificate(idp.certificate)).sha256);
    expect(d!.spKeys.map((k) => k.use).sort()).toEqual(["encryption", "signing"]);
    expect(d!.certificateHistory.map((h) => h.change)).toEqual(["added"]);
    expect(JSON.stringify(d)).not.toMatch(/PRIVATE KEY|sealedPrivateKey|"v1\./);
  });

  it("seedConnection is idempotent (by name, or by id hint) and updates role rules", async () => {
    const args = { groupSlug: "acme", name: "Demo SAML", idpMetadataXml: idp.metadataXml, roleRules: [{ value: "admins", role: "admin" }] };
    const a = await t.action(internal.saml.admin.seedConnection, args);
    const b = await t.action(internal.saml.admin.seedConnection, { ...args, roleRules: [{ value: "eng", role: "editor" }] });
    expect(b).toBe(a);
    const conns = await t.run((ctx) => ctx.db.query("connections").collect());
    expect(conns).toHaveLength(1);
    expect(conns[0]!.roleRules).toEqual([{ value: "eng", role: "editor" }]);
    const c = await t.action(internal.saml.admin.seedConnection, { ...args, name: "renamed", connectionId: a });
    expect(c).toBe(a);
    expect(await t.run((ctx) => ctx.db.query("connections").collect())).toHaveLength(1);
    const data = await convexErrorData(t.action(internal.saml.admin.seedConnection, { ...args, groupSlug: "nope" }));
    expect(data).toMatchObject({ kind: "SamlConfigError", path: "groupSlug" });
  });
});

describe("sweep", () => {
  it("deletes expired pending requests, replay entries and logout rows; keeps live ones", async () => {
    const id = await t.action(internal.saml.admin.createConnection, { groupId, name: "X", idpMetadataXml: idp.metadataXml });
    const now = Date.now();
    await t.run(async (ctx) => {
      const app = (await ctx.db.query("apps").first())!;
      const ar = await ctx.db.insert("authRequests", { appId: app._id, redirectUri: "https://a/cb", codeChallenge: "x".repeat(43), groupId, expiresAt: now + 60_000 });
      for (const expiresAt of [now - 1000, now + 60_000]) {
        await ctx.db.insert("samlRequests", { connectionId: id, requestId: `_r${expiresAt}`, authRequestId: ar, relayState: `rs${expiresAt}`, expiresAt });
        await ctx.db.insert("samlSeenAssertions", { connectionId: id, assertionId: `_a${expiresAt}`, expiresAt, at: now });
        await ctx.db.insert("samlLogoutRequests", { connectionId: id, requestId: `_l${expiresAt}`, expiresAt });
      }
    });
    await t.mutation(internal.saml.cron.sweep, {});
    const left = await t.run(async (ctx) => ({
      r: (await ctx.db.query("samlRequests").collect()).map((x) => x.expiresAt),
      a: (await ctx.db.query("samlSeenAssertions").collect()).map((x) => x.expiresAt),
      l: (await ctx.db.query("samlLogoutRequests").collect()).map((x) => x.expiresAt),
    }));
    expect(left).toEqual({ r: [now + 60_000], a: [now + 60_000], l: [now + 60_000] });
  });
});
