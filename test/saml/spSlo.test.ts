// SLO: IdP-initiated (signed LogoutRequest over HTTP-Redirect) and SP-initiated (app → gateway → IdP → back).
// Revocation is real: sessions.revokedAt set, refresh tokens deleted, refresh refused afterwards.
import { beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { internal } from "../../src/component/_generated/api";
import { certificateToPem } from "../../src/saml/x509";
import { DOMParser } from "@xmldom/xmldom";
import type { Id } from "../../src/component/_generated/dataModel";
import { APP, exchange, form, newGateway, refresh, snapshot, type TestGateway } from "../helpers";
import { expectTracedFailure, postAcs, setupSaml, startLogin, testIdp, IDP_BASE } from "./samlFlow";
import { createTestSamlIdp } from "../../local/samlIdp";
import { decodeRedirect, verifyRedirect } from "../../src/saml/redirectBinding";

const idp = testIdp();
const ADA = { email: "ada@acme.example", groups: ["admins"] };
let t: TestGateway;
let connectionId: Id<"connections">;

beforeEach(async () => {
  t = newGateway();
  ({ connectionId } = await setupSaml(t, { config: { slo: { enabled: true } } }));
});

async function signedIn(sessionIndex = "_sess-1") {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, sessionIndex });
  const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
  const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
  const tokens = await (await exchange(t, code, s.verifier)).json();
  return { refreshToken: tokens.refresh_token as string };
}

const sloUrl = () => `https://gw.example.test/sso/saml/${connectionId}/slo`;
const path = (u: string) => {
  const url = new URL(u);
  return url.pathname + url.search;
};
const liveSessions = () => t.run(async (ctx) => (await ctx.db.query("sessions").collect()).filter((s) => s.revokedAt === undefined).length);

describe("IdP-initiated SLO", () => {
  it("a signed LogoutRequest revokes the session, deletes refresh tokens, answers a signed LogoutResponse", async () => {
    const { refreshToken } = await signedIn();
    expect(await liveSessions()).toBe(1);
    const url = await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example", sessionIndex: "_sess-1", relayState: "idp-rs" });
    const res = await t.fetch(path(url), { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(await liveSessions()).toBe(0);
    expect(await t.run((ctx) => ctx.db.query("refreshTokens").collect())).toHaveLength(0);
    expect((await refresh(t, refreshToken)).status).toBe(400);
    // The answer goes to the IdP's SLO URL, signed by our SP signing key, RelayState echoed.
    const back = new URL(res.headers.get("location")!);
    expect(back.origin + back.pathname).toBe(`${IDP_BASE}/slo`);
    const metadata = await (await t.fetch(`/sso/saml/${connectionId}/metadata`)).text();
    const signingCert = new DOMParser()
      .parseFromString(metadata, "text/xml")
      .getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "X509Certificate")[0]!.textContent!;
    const verified = await verifyRedirect(back.search, [signingCert]);
    expect(verified.relayState).toBe("idp-rs");
    expect(verified.xml).toContain("urn:oasis:names:tc:SAML:2.0:status:Success");
  });

  it("another SessionIndex leaves the session alone", async () => {
    await signedIn("_sess-1");
    const url = await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example", sessionIndex: "_other" });
    expect((await t.fetch(path(url), { redirect: "manual" })).status).toBe(302);
    expect(await liveSessions()).toBe(1);
  });

  it("unsigned LogoutRequest is refused: slo_unsigned, session untouched", async () => {
    await signedIn();
    const url = new URL(await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example" }));
    url.searchParams.delete("Signature");
    url.searchParams.delete("SigAlg");
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(path(url.toString())), "slo_unsigned", before);
  });

  it("LogoutRequest signed by another key is refused: slo_bad_signature", async () => {
    await signedIn();
    const evil = createTestSamlIdp({ baseUrl: IDP_BASE });
    const url = await evil.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example" });
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(path(url)), "slo_bad_signature", before);
  });

  it("tampered NameID after signing is refused", async () => {
    await signedIn();
    const url = new URL(await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example" }));
    const other = new URL(await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "bob@acme.example" }));
    url.searchParams.set("SAMLRequest", other.searchParams.get("SAMLRequest")!);
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(path(url.toString())), "slo_bad_signature", before);
  });

  it("stale LogoutRequest (IssueInstant an hour ago) is refused", async () => {
    await signedIn();
    const url = await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example", now: Date.now() - 3600_000 });
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(path(url)), "slo_malformed", before);
  });

  it("wrong Destination is refused", async () => {
    await signedIn();
    const url = await idp.logoutRequestUrl({ spSloUrl: "https://gw.example.test/sso/saml/someone-else/slo", nameId: "ada@acme.example" });
    const u = new URL(url);
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/slo${u.search}`), "slo_destination_mismatch", before);
  });

  it("HTTP-POST binding: an enveloped-signed LogoutRequest revokes the session", async () => {
    const { refreshToken } = await signedIn("_sess-p");
    const SAMLRequest = idp.logoutRequestPost({ spSloUrl: sloUrl(), nameId: "ada@acme.example", sessionIndex: "_sess-p" });
    const res = await t.fetch(`/sso/saml/${connectionId}/slo`, { ...form({ SAMLRequest, RelayState: "p-rs" }), redirect: "manual" });
    expect(res.status).toBe(302);
    expect(await liveSessions()).toBe(0);
    expect((await refresh(t, refreshToken)).status).toBe(400);
  });

  it("HTTP-POST binding: unsigned → slo_unsigned; other key, SHA-1, or a wrapped message → slo_bad_signature", async () => {
    await signedIn();
    const unsigned = Buffer.from(
      Buffer.from(idp.logoutRequestPost({ spSloUrl: sloUrl(), nameId: "ada@acme.example" }), "base64").toString().replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ""),
    ).toString("base64");
    let before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/slo`, form({ SAMLRequest: unsigned })), "slo_unsigned", before);

    const evil = createTestSamlIdp({ baseUrl: IDP_BASE });
    before = await snapshot(t);
    const forged = evil.logoutRequestPost({ spSloUrl: sloUrl(), nameId: "ada@acme.example" });
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/slo`, form({ SAMLRequest: forged })), "slo_bad_signature", before);

    before = await snapshot(t);
    const sha1 = idp.logoutRequestPost({
      spSloUrl: sloUrl(),
      nameId: "ada@acme.example",
      signatureAlgorithm: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
      digestAlgorithm: "http://www.w3.org/2000/09/xmldsig#sha1",
    });
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/slo`, form({ SAMLRequest: sha1 })), "slo_bad_signature", before);

    // Wrapping: a new, unsigned LogoutRequest for another user that carries the genuine signed one inside.
    const genuine = Buffer.from(idp.logoutRequestPost({ spSloUrl: sloUrl(), nameId: "someone@else.example" }), "base64").toString();
    const wrapped = genuine
      .replace(/ ID="[^"]+"/, ' ID="_attacker"')
      .replace("someone@else.example</saml:NameID>", "ada@acme.example</saml:NameID><samlp:Extensions>" + genuine.replace(/^<\?xml[^>]*>/, "") + "</samlp:Extensions>");
    before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/slo`, form({ SAMLRequest: Buffer.from(wrapped).toString("base64") })), "slo_bad_signature", before);
    expect(await liveSessions()).toBe(1);
  });

  it("SLO off for the connection: slo_disabled", async () => {
    const t2 = newGateway();
    t = t2;
    ({ connectionId } = await setupSaml(t2));
    const url = await idp.logoutRequestUrl({ spSloUrl: sloUrl(), nameId: "ada@acme.example" });
    const before = await snapshot(t2);
    await expectTracedFailure(t2, await t2.fetch(path(url)), "slo_disabled", before);
  });
});

describe("SP-initiated SLO", () => {
  it("app posts its refresh token → session revoked at once → signed LogoutRequest to the IdP → LogoutResponse → back to the app", async () => {
    const { refreshToken } = await signedIn("_sess-9");
    const res = await t.fetch(`/sso/saml/${connectionId}/logout`, {
      ...form({ refresh_token: refreshToken, return_to: `${APP.origin}/signed-out` }),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(await liveSessions()).toBe(0);
    expect((await refresh(t, refreshToken)).status).toBe(400);
    const toIdp = new URL(res.headers.get("location")!);
    expect(toIdp.origin + toIdp.pathname).toBe(`${IDP_BASE}/slo`);
    const d = await decodeRedirect(toIdp.search);
    expect(d.signed).toBe(true);
    expect(d.xml).toContain(">ada@acme.example</saml:NameID>");
    expect(d.xml).toContain("<samlp:SessionIndex>_sess-9</samlp:SessionIndex>");
    // The test IdP answers with a signed LogoutResponse to our SLO endpoint.
    const idpAnswer = await idp.handle(new Request(toIdp.toString()));
    const back = idpAnswer!.headers.get("location")!;
    const done = await t.fetch(path(back), { redirect: "manual" });
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe(`${APP.origin}/signed-out`);
    // The pending logout row is consumed: the same LogoutResponse again is refused.
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(path(back)), "in_response_to_mismatch", before);
  });

  it("return_to on a foreign origin is ignored (no open redirect)", async () => {
    const { refreshToken } = await signedIn();
    const res = await t.fetch(`/sso/saml/${connectionId}/logout`, { ...form({ refresh_token: refreshToken, return_to: "https://evil.example/x" }), redirect: "manual" });
    const toIdp = new URL(res.headers.get("location")!);
    const back = (await idp.handle(new Request(toIdp.toString())))!.headers.get("location")!;
    const done = await t.fetch(path(back), { redirect: "manual" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Signed out");
  });

  it("an unknown refresh token revokes nothing", async () => {
    await signedIn();
    const before = await snapshot(t);
    await expectTracedFailure(t, await t.fetch(`/sso/saml/${connectionId}/logout`, form({ refresh_token: "not-a-token" })), "slo_malformed", before);
  });
});

describe("IdP with an HTTP-POST-only SLO endpoint", () => {
  const xmlsecVerify = (xml: string, cert: string, element: string) => {
    const dir = mkdtempSync(join(tmpdir(), "slo-sig-"));
    writeFileSync(join(dir, "m.xml"), xml);
    writeFileSync(join(dir, "c.pem"), certificateToPem(cert));
    return spawnSync("xmlsec1", ["--verify", "--enabled-key-data", "x509", "--pubkey-cert-pem", join(dir, "c.pem"), "--id-attr:ID", `urn:oasis:names:tc:SAML:2.0:protocol:${element}`, join(dir, "m.xml")], { encoding: "utf8" }).status;
  };
  const posted = async (res: Response, param: string) => {
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`action="${IDP_BASE}/slo-post"`);
    const b64 = new RegExp(`name="${param}" value="([^"]+)"`).exec(html)![1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
    return Buffer.from(b64, "base64").toString();
  };

  it("our LogoutRequest and LogoutResponse go by auto-POST with an enveloped signature (verified by xmlsec1)", async () => {
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, idp: { ...cfg.idp, sloUrls: { post: `${IDP_BASE}/slo-post` } } } });
    const md = await (await t.fetch(`/sso/saml/${connectionId}/metadata`)).text();
    const spCert = /<md:KeyDescriptor use="signing">.*?<ds:X509Certificate>([^<]+)</.exec(md)![1]!;

    // IdP-initiated (POST in), answered by POST.
    await signedIn("_s1");
    const inbound = idp.logoutRequestPost({ spSloUrl: sloUrl(), nameId: "ada@acme.example", sessionIndex: "_s1" });
    const answer = await posted(await t.fetch(`/sso/saml/${connectionId}/slo`, form({ SAMLRequest: inbound, RelayState: "r1" })), "SAMLResponse");
    expect(answer).toContain("<samlp:LogoutResponse");
    expect(xmlsecVerify(answer, spCert, "LogoutResponse")).toBe(0);
    expect(await liveSessions()).toBe(0);

    // SP-initiated, sent by POST.
    const { refreshToken } = await signedIn("_s2");
    const out = await posted(await t.fetch(`/sso/saml/${connectionId}/logout`, form({ refresh_token: refreshToken })), "SAMLRequest");
    expect(out).toContain("<samlp:SessionIndex>_s2</samlp:SessionIndex>");
    expect(xmlsecVerify(out, spCert, "LogoutRequest")).toBe(0);
    expect(xmlsecVerify(out.replace("_s2", "_s3"), spCert, "LogoutRequest")).not.toBe(0);
    expect(await liveSessions()).toBe(0);
  });
});
