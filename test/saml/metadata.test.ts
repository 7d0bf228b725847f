// IdP metadata in (vendor-shaped fixtures, fixtures/saml/metadata/README.md) and SP metadata out.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { DOMParser } from "@xmldom/xmldom";
import { parseIdpMetadata, MetadataError } from "../../src/saml/idpMetadata";
import { buildSpMetadata } from "../../src/saml/spMetadata";
import { parseCertificate } from "../../src/saml/x509";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/saml/metadata/${name}`, import.meta.url), "utf8");
const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const MD = "urn:oasis:names:tc:SAML:2.0:metadata";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MetadataError) return e.code;
    throw e;
  }
  return "no error";
}

describe("IdP metadata parsing", () => {
  it("Okta: entity ID, both SSO bindings, one signing cert, NameID formats", async () => {
    const md = parseIdpMetadata(fixture("okta.xml"));
    expect(md.entityId).toBe("http://www.okta.com/exk1abcdEFGH2345x697");
    expect(md.ssoUrls).toEqual({
      redirect: "https://acme.okta.com/app/acme_gateway_1/exk1abcdEFGH2345x697/sso/saml",
      post: "https://acme.okta.com/app/acme_gateway_1/exk1abcdEFGH2345x697/sso/saml",
    });
    expect(md.sloUrls).toBeUndefined();
    expect(md.signingCertificates).toHaveLength(1);
    expect((await parseCertificate(md.signingCertificates[0]!)).subjectCn).toBe("okta-fixture-idp");
    expect(md.nameIdFormats).toEqual([
      "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
      "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    ]);
    expect(md.wantAuthnRequestsSigned).toBe(false);
  });

  it("Entra: default namespace, skips the WS-Fed RoleDescriptor, keeps both rotation certs, SLO", async () => {
    const md = parseIdpMetadata(fixture("entra.xml"));
    expect(md.entityId).toBe("https://sts.windows.net/8f3c2a1b-4d5e-6f70-8192-a3b4c5d6e7f8/");
    expect(md.ssoUrls.redirect).toBe("https://login.microsoftonline.com/8f3c2a1b-4d5e-6f70-8192-a3b4c5d6e7f8/saml2");
    expect(md.sloUrls?.redirect).toBe("https://login.microsoftonline.com/8f3c2a1b-4d5e-6f70-8192-a3b4c5d6e7f8/saml2");
    expect(md.signingCertificates).toHaveLength(2);
    const cns = await Promise.all(md.signingCertificates.map(async (c) => (await parseCertificate(c)).subjectCn));
    expect(cns).toEqual(["entra-current-fixture-idp", "entra-next-fixture-idp"]);
  });

  it("Google: wrapped certificate text, query in the SSO URL", async () => {
    const md = parseIdpMetadata(fixture("google.xml"));
    expect(md.entityId).toBe("https://accounts.google.com/o/saml2?idpid=C01abc234");
    expect(md.ssoUrls.post).toBe("https://accounts.google.com/o/saml2/idp?idpid=C01abc234");
    expect((await parseCertificate(md.signingCertificates[0]!)).subjectCn).toBe("google-fixture-idp");
    expect(md.nameIdFormats).toEqual(["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]);
  });

  const okta = fixture("okta.xml");
  it("refuses a DTD (XXE / entity expansion) before parsing", () => {
    const xxe = okta.replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    );
    expect(code(() => parseIdpMetadata(xxe))).toBe("metadata_dtd_refused");
  });
  it("refuses malformed XML", () => expect(code(() => parseIdpMetadata(okta.slice(0, 300)))).toBe("metadata_xml_invalid"));
  it("refuses SP metadata given as IdP metadata", () => {
    const sp = buildSpMetadata({
      entityId: "https://sp",
      acsUrl: "https://sp/acs",
      nameIdFormats: [],
      signingCertificates: [],
      encryptionCertificates: [],
      authnRequestsSigned: false,
      wantAssertionsSigned: true,
    });
    expect(code(() => parseIdpMetadata(sp))).toBe("metadata_no_idp");
  });
  it("refuses an IdP without an HTTP-Redirect/POST SSO endpoint", () => {
    const soap = okta.replaceAll(POST, "urn:oasis:names:tc:SAML:2.0:bindings:SOAP").replaceAll(REDIRECT, "urn:oasis:names:tc:SAML:2.0:bindings:PAOS");
    expect(code(() => parseIdpMetadata(soap))).toBe("metadata_no_sso");
  });
  it("refuses an IdP without a signing certificate (encryption-only key is not enough)", () => {
    expect(code(() => parseIdpMetadata(okta.replace('use="signing"', 'use="encryption"')))).toBe("metadata_no_certificate");
  });
  it("refuses a garbage certificate", () => {
    expect(code(() => parseIdpMetadata(okta.replace(/<ds:X509Certificate>[^<]+/, "<ds:X509Certificate>AAAA")))).toBe("metadata_no_certificate");
  });
  it("EntitiesDescriptor: ambiguous without an entity ID, picked with one", () => {
    const a = okta.replace(/^<\?xml[^>]*>/, "");
    const b = a.replaceAll("exk1abcdEFGH2345x697", "exkOTHER");
    const both = `<md:EntitiesDescriptor xmlns:md="${MD}">${a}${b}</md:EntitiesDescriptor>`;
    expect(code(() => parseIdpMetadata(both))).toBe("metadata_ambiguous");
    expect(parseIdpMetadata(both, { entityId: "http://www.okta.com/exkOTHER" }).entityId).toBe("http://www.okta.com/exkOTHER");
    expect(code(() => parseIdpMetadata(both, { entityId: "http://nope" }))).toBe("metadata_no_idp");
  });
  it("refuses a SAML 1.1-only IDPSSODescriptor", () => {
    expect(code(() => parseIdpMetadata(okta.replace('protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"', 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"')))).toBe("metadata_no_idp");
  });
});

describe("SP metadata", () => {
  const doc = (xml: string) => new DOMParser().parseFromString(xml, "text/xml").documentElement!;
  const input = {
    entityId: "https://gw.example.test/sso/saml/abc/metadata",
    acsUrl: "https://gw.example.test/sso/saml/abc/acs",
    nameIdFormats: ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
    signingCertificates: ["U0lHTg=="],
    encryptionCertificates: ["RU5DMQ==", "RU5DMg=="],
    authnRequestsSigned: true,
    wantAssertionsSigned: true,
  };

  it("has entity ID, POST ACS, NameID format, signing and both encryption certs, flags", () => {
    const root = doc(buildSpMetadata(input));
    expect(root.getAttribute("entityID")).toBe(input.entityId);
    const sp = root.getElementsByTagNameNS(MD, "SPSSODescriptor")[0]!;
    expect(sp.getAttribute("AuthnRequestsSigned")).toBe("true");
    expect(sp.getAttribute("WantAssertionsSigned")).toBe("true");
    const acs = sp.getElementsByTagNameNS(MD, "AssertionConsumerService")[0]!;
    expect(acs.getAttribute("Binding")).toBe(POST);
    expect(acs.getAttribute("Location")).toBe(input.acsUrl);
    const kds = Array.from(sp.getElementsByTagNameNS(MD, "KeyDescriptor")).map((k) => [k.getAttribute("use"), k.textContent]);
    expect(kds).toEqual([
      ["signing", "U0lHTg=="],
      ["encryption", "RU5DMQ=="],
      ["encryption", "RU5DMg=="],
    ]);
    expect(sp.getElementsByTagNameNS(MD, "SingleLogoutService").length).toBe(0);
    expect(sp.getElementsByTagNameNS(MD, "NameIDFormat")[0]!.textContent).toBe(input.nameIdFormats[0]);
  });

  it("adds SLO endpoints only when enabled, and escapes values", () => {
    const root = doc(buildSpMetadata({ ...input, sloUrl: "https://gw.example.test/sso/saml/abc/slo?a=1&b=2" }));
    const slo = Array.from(root.getElementsByTagNameNS(MD, "SingleLogoutService")).map((e) => e.getAttribute("Binding"));
    expect(slo).toEqual([REDIRECT, POST]);
    expect(root.getElementsByTagNameNS(MD, "SingleLogoutService")[0]!.getAttribute("Location")).toBe(
      "https://gw.example.test/sso/saml/abc/slo?a=1&b=2",
    );
  });

  it("schema order: KeyDescriptor, SingleLogoutService, NameIDFormat, AssertionConsumerService", () => {
    const root = doc(buildSpMetadata({ ...input, sloUrl: "https://x/slo" }));
    const sp = root.getElementsByTagNameNS(MD, "SPSSODescriptor")[0]!;
    const names = Array.from(sp.childNodes)
      .filter((n) => n.nodeType === 1)
      .map((n) => (n as unknown as { localName: string }).localName);
    const firstIdx = (n: string) => names.indexOf(n);
    const lastIdx = (n: string) => names.lastIndexOf(n);
    expect(lastIdx("KeyDescriptor")).toBeLessThan(firstIdx("SingleLogoutService"));
    expect(lastIdx("SingleLogoutService")).toBeLessThan(firstIdx("NameIDFormat"));
    expect(lastIdx("NameIDFormat")).toBeLessThan(firstIdx("AssertionConsumerService"));
  });
});

describe("SP metadata read by an independent implementation (samlify)", () => {
  it("samlify's ServiceProvider reads entity ID, POST ACS, SLO, flags and both certificates from ours", async () => {
    const samlify = await import("samlify");
    const sign = "MIIBsigningcert";
    const enc = "MIIBencryptioncert";
    const xml = buildSpMetadata({
      entityId: "https://gw.example.test/sso/saml/c1/metadata",
      acsUrl: "https://gw.example.test/sso/saml/c1/acs",
      sloUrl: "https://gw.example.test/sso/saml/c1/slo",
      nameIdFormats: ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
      signingCertificates: [sign],
      encryptionCertificates: [enc],
      authnRequestsSigned: true,
      wantAssertionsSigned: true,
    });
    const sp = samlify.ServiceProvider({ metadata: xml });
    const meta = sp.entityMeta;
    expect(meta.getEntityID()).toBe("https://gw.example.test/sso/saml/c1/metadata");
    expect(meta.getAssertionConsumerService("post")).toBe("https://gw.example.test/sso/saml/c1/acs");
    expect(meta.getSingleLogoutService("redirect")).toBe("https://gw.example.test/sso/saml/c1/slo");
    expect(meta.isWantAssertionsSigned()).toBe(true);
    expect(meta.isAuthnRequestSigned()).toBe(true);
    expect(meta.getX509Certificate("signing")).toBe(sign);
    expect(meta.getX509Certificate("encryption")).toBe(enc);
  });
});
