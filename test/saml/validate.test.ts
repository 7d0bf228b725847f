// validateSamlResponse against the committed corpus (fixtures/saml, signed by xmlsec1 and samlify) and
// the happy-path contract: what the SP side receives. Attack cases live in attacks*.test.ts.
import { describe, expect, it, vi } from "vitest";
import { SignedXml } from "xml-crypto";
import fc from "fast-check";
import { validateSamlResponse } from "../../src/saml/node/validate";
import { SAML_ERROR_CODES } from "../../src/saml/errors";
import { parseCertificate } from "../../src/saml/x509";
import { b64, cert, encryptedAssertion, entraResigned, expectedFor, fixture, manifest, NOW, signAssertion, stripSignatures, xmlOf } from "./validate-helpers";

const run = (file: string, over: Parameters<typeof expectedFor>[1] = {}, now = NOW) => {
  const f = fixture(file);
  return validateSamlResponse({ samlResponse: b64(xmlOf(file)), now, expected: expectedFor(f.shape, { ...f.expected, ...over }) });
};

describe("node-saml primitives", () => {
  it("@node-saml/node-saml/lib/xml still exports getVerifiedXml and decryptXml (deep import pinned by this test)", async () => {
    const lib = await import("@node-saml/node-saml/lib/xml");
    expect(typeof lib.getVerifiedXml).toBe("function");
    expect(typeof lib.decryptXml).toBe("function");
  });
});

describe("fixture corpus (manifest)", () => {
  for (const f of manifest.fixtures) {
    it(`${f.file} (${f.signer}): ${f.result.ok ? "accepted" : f.result.code}`, async () => {
      const r = await run(f.file);
      if (f.result.ok) {
        expect(r).toMatchObject({ ok: true, assertion: { nameId: f.result.nameId } });
      } else {
        expect(r).toMatchObject({ ok: false, code: f.result.code });
      }
    });
  }
  it("has both signers for every IdP shape that takes them, and more refusals than acceptances", () => {
    const signers = new Set(manifest.fixtures.map((f) => `${f.shape}:${f.signer}`));
    for (const s of ["okta:xmlsec1", "okta:samlify", "entra:xmlsec1", "entra:samlify", "google:xmlsec1", "google:samlify", "adfs:xmlsec1", "adfs:samlify"]) expect(signers).toContain(s);
    const refused = manifest.fixtures.filter((f) => !f.result.ok).length;
    expect(refused).toBeGreaterThan(manifest.fixtures.length - refused);
  });
});

describe("what the SP side receives", () => {
  it("Okta (response + assertion signed): full assertion, InResponseTo, session index, replay deadline", async () => {
    const r = await run("okta/response-and-assertion-signed.xmlsec1.xml");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.assertion).toEqual({
      id: "_assert_okta_ok",
      issuer: "http://www.okta.com/exk1fixture0okta",
      inResponseTo: "_req_okta_1",
      nameId: "ada@acme.example",
      nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
      sessionIndex: "_session_okta",
      // min(SubjectConfirmationData NotOnOrAfter = clock + 300 s, Conditions NotOnOrAfter = clock + 3600 s) + skew 180 s
      notOnOrAfter: Date.parse(manifest.clock) + 300_000 + 180_000,
      attributes: { email: ["ada@acme.example"], firstName: ["Ada"], lastName: ["Lovelace"], groups: ["Engineering", "Admins"] },
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON: crosses ctx.runAction unchanged
  });

  it("Entra ID (assertion only signed, default namespace): claim URIs and multi-valued groups", async () => {
    const r = await run("entra/assertion-signed.samlify.xml");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.assertion.attributes["http://schemas.microsoft.com/identity/claims/objectidentifier"]).toEqual(["9f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b"]);
    expect(r.assertion.attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"]).toEqual(["grace@contoso.example"]);
    expect(r.assertion.attributes["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"]).toHaveLength(2);
    expect(r.assertion.issuer).toBe("https://sts.windows.net/11111111-2222-3333-4444-555555555555/");
  });

  it("IdP-initiated (allowed): inResponseTo is null", async () => {
    const r = await run("okta/idp-initiated.xmlsec1.xml");
    expect(r).toMatchObject({ ok: true, assertion: { inResponseTo: null } });
  });

  it("a solicited response is accepted when IdP-initiated is also allowed, and keeps its InResponseTo", async () => {
    const r = await run("okta/response-and-assertion-signed.xmlsec1.xml", { allowIdpInitiated: true });
    expect(r).toMatchObject({ ok: true, assertion: { inResponseTo: "_req_okta_1" } });
  });

  it("same response twice gives the same assertion id and deadline (the caller's replay key is stable)", async () => {
    const a = await run("entra/assertion-signed.xmlsec1.xml");
    const b = await run("entra/assertion-signed.xmlsec1.xml");
    expect(a.ok && b.ok && a.assertion.id === b.assertion.id && a.assertion.notOnOrAfter === b.assertion.notOnOrAfter).toBe(true);
  });

  it("ADFS encrypted assertion: decrypts with old or new SP key during rotation", async () => {
    expect(await run("adfs/encrypted-aes128gcm.xmlsec1.xml", { decryptionKeys: ["sp-enc-new", "sp-enc-old"] })).toMatchObject({ ok: true });
    expect(await run("adfs/encrypted-aes256cbc.xmlsec1.xml", { decryptionKeys: ["sp-enc-new", "sp-enc-old"] })).toMatchObject({ ok: true });
    const r = await run("adfs/encrypted-aes256cbc.xmlsec1.xml");
    expect(r).toMatchObject({ ok: true, assertion: { nameId: "CONTOSO\\barbara", nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" } });
  });

  it("Shibboleth-style encryption (EncryptedKey beside EncryptedData, ds:RetrievalMethod) decrypts", async () => {
    const envelope = xmlOf("adfs/assertion-signed.xmlsec1.xml");
    const assertion = envelope.match(/<Assertion\b[\s\S]*<\/Assertion>/)![0];
    const xml = envelope.replace(assertion, encryptedAssertion(assertion, "sp-enc-old", { siblingKey: true }));
    const r = await validateSamlResponse({ samlResponse: b64(xml), now: NOW, expected: expectedFor("adfs", { decryptionKeys: ["sp-enc-new", "sp-enc-old"] }) });
    expect(r).toMatchObject({ ok: true, assertion: { nameId: "CONTOSO\\barbara" } });
  });

  it("assertion prefixes declared only on the Response (Keycloak / SimpleSAMLphp style), plain and encrypted", async () => {
    let x = stripSignatures(xmlOf("google/assertion-signed.xmlsec1.xml"));
    x = x
      .replace('<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"', "<saml2:Assertion")
      .replace('<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">', "<saml2:Issuer>")
      .replace("<saml2p:Response ", '<saml2p:Response xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ');
    const signed = signAssertion(x, "idp-google");
    expect(await validateSamlResponse({ samlResponse: b64(signed), now: NOW, expected: expectedFor("google") })).toMatchObject({ ok: true });
    // Encrypted: the IdP serialises the element with the namespace declarations it uses (XML-Enc Type=Element).
    const a = signed.match(/<saml2:Assertion\b[\s\S]*<\/saml2:Assertion>/)![0];
    const plaintext = a.replace("<saml2:Assertion ", '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ');
    const enc = encryptedAssertion(plaintext, "sp-enc-new").replace(/saml:EncryptedAssertion xmlns:saml="[^"]+"/, "saml2:EncryptedAssertion").replace("</saml:EncryptedAssertion>", "</saml2:EncryptedAssertion>");
    expect(await validateSamlResponse({ samlResponse: b64(signed.replace(a, enc)), now: NOW, expected: expectedFor("google", { decryptionKeys: ["sp-enc-new"] }) })).toMatchObject({ ok: true });
  });

  it("the response base64 may be line-wrapped (76 columns, CRLF) as some IdPs post it", async () => {
    const wrapped = b64(xmlOf("okta/response-and-assertion-signed.xmlsec1.xml")).replace(/.{76}/g, "$&\r\n");
    const f = fixture("okta/response-and-assertion-signed.xmlsec1.xml");
    expect(await validateSamlResponse({ samlResponse: wrapped, now: NOW, expected: expectedFor(f.shape) })).toMatchObject({ ok: true });
  });
});

describe("which trusted certificate verified (signerSha256, for the portal's rotation view)", () => {
  // The fingerprint format is the portal's: src/saml/x509.ts (pure code), not the validator's node:crypto.
  const sha = async (name: string) => (await parseCertificate(cert(name))).sha256;
  const ENTRA_NO_KEYINFO = entraResigned((xml) => xml).replace(/<ds:KeyInfo>[\s\S]*?<\/ds:KeyInfo>/, "");
  const entra = (certs: string[]) => validateSamlResponse({ samlResponse: b64(ENTRA_NO_KEYINFO), now: NOW, expected: expectedFor("entra", { certs }) });
  // RSA verifications, counted where node-saml runs them (xml-crypto's SignedXml.checkSignature).
  async function counted<T>(f: () => Promise<T>): Promise<[T, number]> {
    const spy = vi.spyOn(SignedXml.prototype, "checkSignature");
    try {
      const r = await f();
      return [r, spy.mock.calls.length];
    } finally {
      spy.mockRestore();
    }
  }

  it("the signature names a trusted certificate (KeyInfo): that one, one verification per signature even with two trusted", async () => {
    const [r, checks] = await counted(() => run("okta/response-and-assertion-signed.xmlsec1.xml")); // trusts okta + okta-next
    expect(r).toMatchObject({ ok: true, signerSha256: await sha("idp-okta") });
    expect(checks).toBe(2); // Response + Assertion, never the other trusted certificate
  });

  it("no KeyInfo and several trusted: the one that verifies, in either order (the extra verification only during rotation)", async () => {
    expect(ENTRA_NO_KEYINFO).not.toContain("KeyInfo");
    const [last, checksLast] = await counted(() => entra(["idp-okta", "idp-entra"]));
    expect(last).toMatchObject({ ok: true, signerSha256: await sha("idp-entra") });
    expect(checksLast).toBe(2);
    const [first, checksFirst] = await counted(() => entra(["idp-entra", "idp-okta"]));
    expect(first).toMatchObject({ ok: true, signerSha256: await sha("idp-entra") });
    expect(checksFirst).toBe(1);
    const [only, checksOnly] = await counted(() => entra(["idp-entra"]));
    expect(only).toMatchObject({ ok: true, signerSha256: await sha("idp-entra") });
    expect(checksOnly).toBe(1);
    // None of them verifies: refused as before, nothing named.
    expect(await entra(["idp-okta", "idp-google"])).toEqual({ ok: false, code: "signature_invalid", detail: "the Assertion signature does not verify with a trusted certificate" });
  });

  it("encrypted assertion: the certificate that verified the decrypted assertion's signature", async () => {
    expect(await run("adfs/encrypted-aes128gcm.xmlsec1.xml", { decryptionKeys: ["sp-enc-new"] })).toMatchObject({ ok: true, signerSha256: await sha("idp-adfs") });
  });
});

describe("clock (injected now, skew default 180 s)", () => {
  const file = "okta/response-and-assertion-signed.xmlsec1.xml";
  const clock = Date.parse(manifest.clock);
  it("accepts within the skew after SubjectConfirmationData NotOnOrAfter", async () => {
    expect(await run(file, {}, clock + 300_000 + 179_000)).toMatchObject({ ok: true });
  });
  it("refuses past NotOnOrAfter + skew: expired", async () => {
    expect(await run(file, {}, clock + 300_000 + 180_000)).toMatchObject({ ok: false, code: "expired" });
  });
  it("the replay deadline returned is exactly the first instant at which the response is refused", async () => {
    const ok = await run(file, {}, clock + 60_000);
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(await run(file, {}, ok.assertion.notOnOrAfter - 1)).toMatchObject({ ok: true });
    expect(await run(file, {}, ok.assertion.notOnOrAfter)).toMatchObject({ ok: false, code: "expired" });
  });
  it("refuses with skew 0 right at NotOnOrAfter: expired", async () => {
    expect(await run(file, { clockSkewSec: 0 }, clock + 300_000)).toMatchObject({ ok: false, code: "expired" });
  });
  it("refuses before Conditions NotBefore - skew: not_yet_valid", async () => {
    expect(await run(file, {}, clock - 300_000 - 181_000)).toMatchObject({ ok: false, code: "not_yet_valid" });
  });
  it("accepts just inside NotBefore - skew", async () => {
    expect(await run(file, {}, clock - 300_000 - 179_000)).toMatchObject({ ok: true });
  });
});

describe("never throws, always a closed-set code", () => {
  it("arbitrary strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
        const r = await validateSamlResponse({ samlResponse: s, now: NOW, expected: expectedFor("okta") });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(SAML_ERROR_CODES).toContain(r.code);
      }),
      { numRuns: 150 },
    );
  });
  it("arbitrary XML-ish text, base64-encoded", async () => {
    const xmlish = fc.array(fc.constantFrom("<", ">", "/", "samlp:Response", " ID=\"a\"", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&", "x", "\"", "=", "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\""), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(xmlish, async (parts) => {
        const r = await validateSamlResponse({ samlResponse: b64(parts.join("")), now: NOW, expected: expectedFor("okta") });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(SAML_ERROR_CODES).toContain(r.code);
      }),
      { numRuns: 150 },
    );
  });
  it("bad configuration is invalid_configuration, not a throw", async () => {
    const samlResponse = b64(xmlOf("okta/response-and-assertion-signed.xmlsec1.xml"));
    expect(await validateSamlResponse({ samlResponse, now: NOW, expected: { ...expectedFor("okta"), idpCertificates: [] } })).toMatchObject({ ok: false, code: "invalid_configuration" });
    expect(await validateSamlResponse({ samlResponse, now: NOW, expected: { ...expectedFor("okta"), idpCertificates: ["not a cert"] } })).toMatchObject({ ok: false, code: "invalid_configuration" });
    expect(await validateSamlResponse({ samlResponse, now: Number.NaN, expected: expectedFor("okta") })).toMatchObject({ ok: false, code: "invalid_configuration" });
    expect(await validateSamlResponse(null as never)).toMatchObject({ ok: false, code: "invalid_configuration" });
  });
  it("an IdP certificate with an RSA key under 2048 bits is refused as configuration", async () => {
    const weak = `-----BEGIN CERTIFICATE-----
MIIB+jCCAWOgAwIBAgIUZMxIsbIz84qmIgqLYBJ5hsUC83kwDQYJKoZIhvcNAQEL
BQAwDzENMAsGA1UEAwwEd2VhazAeFw0yNjExMjUwMzMyMjZaFw0yNjEyMjUwMzMy
MjZaMA8xDTALBgNVBAMMBHdlYWswgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGB
AK4Fsrxopy1KvfKBtAxdjyzTi6f9iWGzURW4zR5GyfDaodBkCJTxDiazLdVk2dg1
CJqvCx3XRRJEuUD3C9aZ7duT+0RPyhGN0H+bPUUk9ADF/qyBDpVZVAmBzXJEcdah
HwcA+7AGf9u0TzFNp/iQ4icdQF1hdj/QhJtsJY8G9EyHAgMBAAGjUzBRMB0GA1Ud
DgQWBBRtVEyzGWlkYjyApb43YCxHZfLGTjAfBgNVHSMEGDAWgBRtVEyzGWlkYjyA
pb43YCxHZfLGTjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBADEm
fE01o4gg0QA+MvTlvOEskp0zWyrZ4NSmyp6JwIbXGd584CY6BUM3cVpCVZT2Jd1D
G1IkbpL0WlEkYfjczdgFNOAXrlNBsp/yVtuWtQ6kE+iPFsuPA7jzw2AdEaYNKFXP
v+pYME6tjcUn4KdvCfR2D4LJvt+aTHetLbOXU6Mh
-----END CERTIFICATE-----\n`;
    const samlResponse = b64(xmlOf("okta/response-and-assertion-signed.xmlsec1.xml"));
    expect(await validateSamlResponse({ samlResponse, now: NOW, expected: { ...expectedFor("okta"), idpCertificates: [weak] } })).toMatchObject({ ok: false, code: "invalid_configuration" });
  });
  it("SP decryption keys that are not private keys are a configuration error, not a decryption failure", async () => {
    const f = fixture("adfs/encrypted-aes128gcm.xmlsec1.xml");
    const exp = expectedFor(f.shape);
    exp.decryptionKeys = ["-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"];
    expect(await validateSamlResponse({ samlResponse: b64(xmlOf(f.file)), now: NOW, expected: exp })).toMatchObject({ ok: false, code: "invalid_configuration" });
  });
  it("bare base64 certificates (no PEM armour) are accepted as configuration", async () => {
    const exp = expectedFor("okta");
    exp.idpCertificates = exp.idpCertificates.map((c) => c.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
    expect(await validateSamlResponse({ samlResponse: b64(xmlOf("okta/response-and-assertion-signed.xmlsec1.xml")), now: NOW, expected: exp })).toMatchObject({ ok: true });
  });
});
