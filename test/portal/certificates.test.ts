// The portal's certificates page through convex/http.ts (convex-test): the IdP's next signing certificate (upload
// validation that changes nothing on bad input; a response signed with the next certificate is accepted, one
// signed with an unrelated certificate is not; make current / remove), our SP certificate rotation with overlap
// (two KeyDescriptors per use while the next one is published; the old key still decrypts after the switch, and no
// more after retire), the warning window, and the audit trail. The IdPs are real samlify signers.
import { generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { DOMParser } from "@xmldom/xmldom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { createTestSamlIdp, type TestSamlIdp } from "../../local/samlIdp";
import { assembleCertificate, certificateToPem, generateSelfSignedCert, parseCertificate, tbsCertificate } from "../../src/saml/x509";
import { when } from "../../src/portal/format";
import { newGateway, snapshot, type TestGateway } from "../helpers";
import { expectTracedFailure, IDP_BASE, postAcs, setupSaml, startLogin, testIdp } from "../saml/samlFlow";
import { openPortal, type PortalClient } from "./portalClient";

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const ADA = { email: "ada@acme.example", groups: ["admins"] };
const DAY = 86_400_000;

let t: TestGateway;
let connectionId: Id<"connections">;
let portal: PortalClient;
let page: string;

// The IdP rolls its key: same entity ID, a new signing key. Another IdP's key is never trusted.
let nextIdp: TestSamlIdp;
let unrelatedIdp: TestSamlIdp;

async function open(config: Record<string, unknown> = {}) {
  t = newGateway();
  ({ connectionId } = await setupSaml(t, { config }));
  const { url } = await t.mutation(internal.portal.links.create, { group: "acme", intents: ["sso"] });
  portal = await openPortal(t.fetch, new URL(url).searchParams.get("t")!);
  page = `/portal/sso/c/${connectionId}/certificates`;
}

async function trusted(): Promise<string[]> {
  const c = await t.run((ctx) => ctx.db.get(connectionId));
  return c!.config.idp.certificates as string[];
}

async function portalEvents(): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const rows = await t.run((ctx) => ctx.db.query("events").collect());
  return rows.filter((r) => r.type.startsWith("portal.certificate.")).map((r) => ({ type: r.type, data: r.data as Record<string, unknown> }));
}

/** A full SP-initiated login whose response `idp` signs (and encrypts to `encryptTo`). */
async function loginSignedBy(idp: TestSamlIdp, encryptTo?: string, onceStarted?: () => Promise<void>) {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, ...(encryptTo ? { encryptTo } : {}) });
  await onceStarted?.();
  return postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
}

/** The login is refused with a trace of `code`, and nothing else is written. */
async function expectRefused(idp: TestSamlIdp, code: string, encryptTo?: string) {
  let before: Record<string, unknown[]> = {};
  const res = await loginSignedBy(idp, encryptTo, async () => {
    before = await snapshot(t);
  });
  await expectTracedFailure(t, res, code, before);
}

function rsaCert(bits: number, notAfter: number): string {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const tbs = tbsCertificate(`short key ${bits}`, notAfter - 365 * DAY, notAfter, new Uint8Array(publicKey.export({ type: "spki", format: "der" })));
  return certificateToPem(Buffer.from(assembleCertificate(tbs, new Uint8Array(nodeSign("sha256", tbs, privateKey)))).toString("base64"));
}

beforeEach(() => {
  nextIdp ??= createTestSamlIdp({ baseUrl: IDP_BASE });
  unrelatedIdp ??= createTestSamlIdp({ baseUrl: IDP_BASE });
});

describe("the IdP's next signing certificate", () => {
  beforeEach(() => open());

  it("the page lists the current certificate with its expiry and offers the upload", async () => {
    const res = await portal.get(page);
    expect(res.status).toBe(200);
    const html = await res.text();
    const info = await parseCertificate(testIdp().certificate);
    expect(html).toContain("In use now");
    expect(html).toContain(info.sha256.slice(0, 23));
    expect(html).toContain(new Date(info.notAfter).toISOString().slice(0, 10));
    expect(html).toMatch(/<textarea id="certificate" name="certificate"/);
    expect(html).toContain(`action="/portal/sso/c/${connectionId}/certificates/idp" enctype="multipart/form-data"`);
  });

  it("bad uploads: a field error naming the field, status 400, and nothing stored (no trust change, no event)", async () => {
    const expired = await generateSelfSignedCert({ commonName: "old", now: Date.now() - 400 * DAY, validDays: 30 });
    const keyPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const next = certificateToPem(nextIdp.certificate);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["empty", { certificate: "  " }, /Certificate: paste the IdP&#39;s new signing certificate/],
      ["private key", { certificate: keyPem }, /Certificate: this is a private key, not a certificate/],
      ["certificate plus key", { certificate: `${next}${keyPem}` }, /Certificate: this is a private key/],
      ["XML with a DTD", { certificate: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>` }, /Certificate: this looks like XML/],
      ["not base64 DER", { certificate: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----" }, /Certificate: is not an X\.509 certificate/],
      ["garbage", { certificate: "hello, world" }, /Certificate: is not an X\.509 certificate/],
      ["two certificates", { certificate: next + certificateToPem(unrelatedIdp.certificate) }, /Certificate: holds 2 certificates; give exactly one/],
      ["text around it", { certificate: `Subject: x\n${next}` }, /Certificate: has text outside the BEGIN\/END CERTIFICATE lines/],
      ["another PEM type", { certificate: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }, /Certificate: is not a certificate/],
      ["expired", { certificate: certificateToPem(expired.certificate) }, /Certificate: expired on \d{4}-\d{2}-\d{2}/],
      ["RSA 1024", { certificate: rsaCert(1024, Date.now() + 365 * DAY) }, /Certificate: has an RSA key of 1024 bits; at least 2048 bits are required/],
      ["already trusted", { certificate: certificateToPem(testIdp().certificate) }, /Certificate: is already trusted for this connection/],
      ["too large", { certificate: "A".repeat(17 * 1024) }, /Certificate: is larger than 16 KiB/],
    ];
    const before = await snapshot(t);
    for (const [name, fields, message] of cases) {
      const res = await portal.postMultipart(`${page}/idp`, fields);
      expect(res.status, name).toBe(400);
      const html = await res.text();
      expect(html, name).toMatch(message);
      expect(html, name).toContain('id="certificate-error"');
      expect(html, name).toContain('aria-invalid="true"');
      expect(html, `${name}: a private key is never echoed`).not.toContain("PRIVATE KEY-----\nMII");
    }
    // A file upload: the error names the file field.
    const fileRes = await portal.postMultipart(`${page}/idp`, {}, { certificateFile: { name: "idp.key", text: keyPem } });
    expect(fileRes.status).toBe(400);
    expect(await fileRes.text()).toMatch(/id="certificateFile-error">Certificate file: this is a private key/);
    expect(await snapshot(t)).toEqual(before);
  });

  it("without the CSRF token: 403 and nothing changes", async () => {
    const res = await portal.post(`${page}/idp`, { certificate: certificateToPem(nextIdp.certificate) }, { csrf: null });
    expect(res.status).toBe(403);
    expect(await trusted()).toEqual([testIdp().certificate]);
  });

  it("after the upload a response signed with the next certificate signs in, the current one still does, an unrelated one does not; make current drops the old one", async () => {
    // Before: the IdP's new key is not trusted.
    await expectRefused(nextIdp, "untrusted_certificate");

    const up = await portal.postMultipart(`${page}/idp`, {}, { certificateFile: { name: "okta-next.pem", text: certificateToPem(nextIdp.certificate) } });
    expect(up.status).toBe(303);
    expect(up.headers.get("location")).toBe(`${page}?done=idp_added`);
    expect(await trusted()).toEqual([testIdp().certificate, nextIdp.certificate]);
    const html = await (await portal.get(up.headers.get("location")!)).text();
    expect(html).toContain("The next certificate is trusted.");
    expect(html).toContain("Next (also accepted)");

    expect((await loginSignedBy(testIdp())).status).toBe(302);
    expect((await loginSignedBy(nextIdp)).status).toBe(302);
    await expectRefused(unrelatedIdp, "untrusted_certificate");

    const nextSha = (await parseCertificate(nextIdp.certificate)).sha256;
    const promoted = await portal.post(`${page}/idp/promote`, { sha256: nextSha });
    expect(promoted.status).toBe(303);
    expect(await trusted()).toEqual([nextIdp.certificate]);
    expect((await loginSignedBy(nextIdp)).status).toBe(302);
    await expectRefused(testIdp(), "untrusted_certificate");

    expect((await portalEvents()).map((e) => [e.type, e.data.sha256])).toEqual([
      ["portal.certificate.idp_added", nextSha],
      ["portal.certificate.idp_promoted", nextSha],
    ]);
    const history = await t.run((ctx) => ctx.db.query("samlCertChanges").collect());
    expect(history.filter((h) => h.source === "admin").map((h) => h.change)).toEqual(["added", "added", "removed"]);
  });

  it("remove drops a next certificate; the current one cannot be removed or promoted, nor another group's connection touched", async () => {
    await portal.post(`${page}/idp`, { certificate: certificateToPem(nextIdp.certificate) });
    const nextSha = (await parseCertificate(nextIdp.certificate)).sha256;
    const currentSha = (await parseCertificate(testIdp().certificate)).sha256;
    for (const op of ["promote", "remove"]) {
      const res = await portal.post(`${page}/idp/${op}`, { sha256: currentSha });
      expect(res.status).toBe(409);
      expect(await res.text()).toContain("not a next certificate");
    }
    expect((await portal.post(`${page}/idp/remove`, { sha256: "zz" })).status).toBe(400);
    const removed = await portal.post(`${page}/idp/remove`, { sha256: nextSha });
    expect(removed.headers.get("location")).toBe(`${page}?done=idp_removed`);
    expect(await trusted()).toEqual([testIdp().certificate]);

    // Another group's connection: 404, whatever the id.
    const { groupIds } = await t.mutation(internal.admin.seed.apply, { groups: [{ slug: "globex", name: "Globex" }], apps: [] });
    const other = await t.action(internal.saml.admin.createConnection, { groupId: groupIds.globex!, name: "Globex IdP", idpMetadataXml: testIdp().metadataXml, config: {} });
    expect((await portal.get(`/portal/sso/c/${other}/certificates`)).status).toBe(404);
    expect((await portal.post(`/portal/sso/c/${other}/certificates/idp`, { certificate: certificateToPem(nextIdp.certificate) })).status).toBe(404);
    expect((await portal.post(`/portal/sso/c/${other}/certificates/sp/next`, {})).status).toBe(404);
  });

  it("a fifth certificate is refused (four are trusted at most)", async () => {
    for (let i = 0; i < 3; i++) {
      const g = await generateSelfSignedCert({ commonName: `extra ${i}`, now: Date.now(), validDays: 400 });
      expect((await portal.post(`${page}/idp`, { certificate: certificateToPem(g.certificate) })).status).toBe(303);
    }
    expect(await trusted()).toHaveLength(4);
    const html = await (await portal.get(page)).text();
    expect(html).toContain("Four certificates are trusted already");
    const res = await portal.post(`${page}/idp`, { certificate: certificateToPem(nextIdp.certificate) });
    expect(res.status).toBe(409);
    expect(await trusted()).toHaveLength(4);
  });
});

describe("which IdP certificate signs now", () => {
  beforeEach(() => open());

  const signedBy = async () => (await t.run((ctx) => ctx.db.get(connectionId)))!.idpSignedBy;
  /** The IdP certificate rows of the page, each with its "signing now" mark (or null). */
  async function marks(): Promise<{ html: string; rows: Array<{ role: string; mark: string | null }> }> {
    const html = await (await portal.get(page)).text();
    const table = html.slice(html.indexOf('aria-labelledby="idp-certs"'), html.indexOf('id="sp-certs"'));
    const rows = [...table.matchAll(/<tr><td><strong>([^<]+)<\/strong>(.*?)<\/td>/g)].map((m) => ({
      role: m[1]!,
      mark: /Signing sign-ins now<\/span><br><span class="muted">\(since ([^)]+)\)/.exec(m[2]!)?.[1] ?? null,
    }));
    return { html, rows };
  }
  const ALERT = "Your IdP now signs with the new certificate: make it current.";

  it("no sign-in yet: no certificate is marked, no alert", async () => {
    const { html, rows } = await marks();
    expect(rows).toEqual([{ role: "In use now", mark: null }]);
    expect(html).not.toContain(ALERT);
  });

  it("a sign-in signed by the current certificate marks it; after the upload, a sign-in signed by the next one marks that one and raises the alert", async () => {
    const currentSha = (await parseCertificate(testIdp().certificate)).sha256;
    const nextSha = (await parseCertificate(nextIdp.certificate)).sha256;
    expect((await loginSignedBy(testIdp())).status).toBe(302);
    const first = await signedBy();
    expect(first?.sha256).toBe(currentSha);
    let page1 = await marks();
    expect(page1.rows).toEqual([{ role: "In use now", mark: when(first!.firstSeenAt) }]);
    expect(page1.html).not.toContain(ALERT);

    expect((await portal.post(`${page}/idp`, { certificate: certificateToPem(nextIdp.certificate) })).status).toBe(303);
    page1 = await marks();
    expect(page1.rows).toEqual([
      { role: "In use now", mark: when(first!.firstSeenAt) },
      { role: "Next (also accepted)", mark: null },
    ]);
    expect(page1.html).not.toContain(ALERT);

    expect((await loginSignedBy(nextIdp)).status).toBe(302);
    const second = await signedBy();
    expect(second?.sha256).toBe(nextSha);
    const page2 = await marks();
    expect(page2.rows).toEqual([
      { role: "In use now", mark: null },
      { role: "Next (also accepted)", mark: when(second!.firstSeenAt) },
    ]);
    expect(page2.html).toContain(ALERT);

    // Make current: the one signing is now the only (current) certificate, still marked; the alert is gone.
    expect((await portal.post(`${page}/idp/promote`, { sha256: nextSha })).status).toBe(303);
    const page3 = await marks();
    expect(page3.rows).toEqual([{ role: "In use now", mark: when(second!.firstSeenAt) }]);
    expect(page3.html).not.toContain(ALERT);
  });

  it("a second sign-in by the same certificate does not write the connection row", async () => {
    expect((await loginSignedBy(testIdp())).status).toBe(302);
    // A sentinel time: a write on every sign-in (with its own clock) would replace it.
    const sha256 = (await parseCertificate(testIdp().certificate)).sha256;
    expect((await signedBy())?.sha256).toBe(sha256);
    await t.run((ctx) => ctx.db.patch(connectionId, { idpSignedBy: { sha256, firstSeenAt: 1 } }));
    const before = await t.run((ctx) => ctx.db.get(connectionId));
    expect((await loginSignedBy(testIdp())).status).toBe(302);
    expect(await t.run((ctx) => ctx.db.get(connectionId))).toEqual(before);
    expect((await marks()).rows).toEqual([{ role: "In use now", mark: when(1) }]);
  });

  it("a refused response records nothing: neither an untrusted signer nor a trusted signer whose sign-in fails", async () => {
    expect((await loginSignedBy(testIdp())).status).toBe(302);
    const first = await signedBy();
    await portal.post(`${page}/idp`, { certificate: certificateToPem(nextIdp.certificate) });
    // Unrelated key: refused by the validator; the row (and everything else) is unchanged (expectRefused snapshots).
    await expectRefused(unrelatedIdp, "untrusted_certificate");
    // The next key verifies, but the sign-in is refused later in the finish transaction (the membership is
    // inactive): it is rolled back as a whole, so the new signer is not recorded either.
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("memberships").collect())[0]!;
      await ctx.db.patch(m._id, { status: "inactive" });
    });
    let before: Record<string, unknown[]> = {};
    const res = await loginSignedBy(nextIdp, undefined, async () => {
      before = await snapshot(t);
    });
    await expectTracedFailure(t, res, "signin_failed", before);
    expect(await signedBy()).toEqual(first);
    expect((await marks()).rows.map((r) => r.mark !== null)).toEqual([true, false]);
  });
});

describe("the warning window", () => {
  beforeEach(() => open());
  afterEach(() => {
    delete process.env.GATEWAY_OPTIONS;
  });

  it("a certificate expiring within the window is flagged; outside the configured window it is not", async () => {
    const soon = await generateSelfSignedCert({ commonName: "expires soon", now: Date.now(), validDays: 10 });
    expect((await portal.post(`${page}/idp`, { certificate: certificateToPem(soon.certificate) })).status).toBe(303);
    let html = await (await portal.get(page)).text();
    expect(html).toContain("1 certificate expires within 30 days or already expired.");
    expect(html).toMatch(/<strong class="error">expires in (9|10) days<\/strong>/);
    process.env.GATEWAY_OPTIONS = JSON.stringify({ certificates: { warningDays: 5 } });
    html = await (await portal.get(page)).text();
    expect(html).not.toContain("expires within");
    expect(html).toMatch(/<span class="muted">expires in (9|10) days<\/span>/);
  });
});

describe("SP certificate rotation with overlap", () => {
  beforeEach(() => open({ sp: { encryptAssertions: true, signAuthnRequests: true } }));

  async function published(use: "signing" | "encryption"): Promise<string[]> {
    const res = await t.fetch(`/sso/saml/${connectionId}/metadata`);
    const root = new DOMParser().parseFromString(await res.text(), "text/xml").documentElement!;
    return Array.from(root.getElementsByTagNameNS(MD, "KeyDescriptor"))
      .filter((k) => k.getAttribute("use") === use)
      .map((k) => k.textContent!.trim());
  }

  it("create next → two KeyDescriptors per use → switch → the old key still decrypts, unpublished → retire → it no longer does", async () => {
    const [oldEnc] = await published("encryption");
    const [oldSig] = await published("signing");
    let html = await (await portal.get(page)).text();
    expect(html).toContain("Step 1 of 3.");

    const created = await portal.post(`${page}/sp/next`, {});
    expect(created.headers.get("location")).toBe(`${page}?done=sp_next`);
    const encBoth = await published("encryption");
    const sigBoth = await published("signing");
    expect(encBoth).toHaveLength(2);
    expect(sigBoth).toHaveLength(2);
    const newEnc = encBoth.find((c) => c !== oldEnc)!;
    const newSig = sigBoth.find((c) => c !== oldSig)!;
    html = await (await portal.get(page)).text();
    expect(html).toContain("Step 2 of 3.");
    expect(html).toContain("Our SP metadata now lists both certificates. In your IdP, re-import our SP metadata");
    expect(html).toContain("Next (published)");
    // Both decrypt while the next one is published.
    expect((await loginSignedBy(testIdp(), oldEnc)).status).toBe(302);
    expect((await loginSignedBy(testIdp(), newEnc)).status).toBe(302);

    expect((await portal.post(`${page}/sp/switch`, {})).headers.get("location")).toBe(`${page}?done=sp_switched`);
    expect(await published("encryption")).toEqual([newEnc]);
    expect(await published("signing")).toEqual([newSig]);
    html = await (await portal.get(page)).text();
    expect(html).toContain("Step 3 of 3.");
    expect(html).toContain("Old (still decrypts)");
    expect((await loginSignedBy(testIdp(), oldEnc)).status).toBe(302);
    expect((await loginSignedBy(testIdp(), newEnc)).status).toBe(302);

    expect((await portal.post(`${page}/sp/retire`, {})).headers.get("location")).toBe(`${page}?done=sp_retired`);
    expect(await published("encryption")).toEqual([newEnc]);
    expect((await loginSignedBy(testIdp(), newEnc)).status).toBe(302);
    await expectRefused(testIdp(), "decryption_failed", oldEnc);
    html = await (await portal.get(page)).text();
    expect(html).toContain("Step 1 of 3.");
    expect(html).not.toContain("Old (still decrypts)");

    expect((await portalEvents()).map((e) => e.type)).toEqual([
      "portal.certificate.sp_next_created",
      "portal.certificate.sp_switched",
      "portal.certificate.sp_retired",
    ]);
  });

  it("a step out of order (a double submit) is refused with the page and changes nothing", async () => {
    const before = await snapshot(t);
    const res = await portal.post(`${page}/sp/switch`, {});
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("no next signing key to promote");
    expect((await portal.post(`${page}/sp/retire`, {})).status).toBe(409);
    expect(await snapshot(t)).toEqual(before);
    await portal.post(`${page}/sp/next`, {});
    expect((await portal.post(`${page}/sp/next`, {})).status).toBe(409);
    expect(await published("encryption")).toHaveLength(2);
  });
});
