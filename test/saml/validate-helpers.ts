// Shared by test/saml/validate*.test.ts and attacks*.test.ts: the fixture manifest, keys, and the
// expected-values object a connection would pass to validateSamlResponse.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SamlExpected } from "../../src/saml/policy";

export const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "saml");

export interface ManifestEntry {
  file: string;
  shape: "okta" | "entra" | "google" | "adfs";
  signer: "xmlsec1" | "samlify";
  note: string;
  expected?: Partial<{ wantAssertionsSigned: boolean; allowSha1: boolean; allowIdpInitiated: boolean; decryptionKeys: string[]; certs: string[] }>;
  result: { ok: true; nameId: string } | { ok: false; code: string };
}
interface Manifest {
  clock: string;
  connections: Record<string, { acsUrl: string; spEntityId: string; idpEntityId: string; certs: string[]; requestIds: string[] }>;
  fixtures: ManifestEntry[];
}

export const manifest: Manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8"));
/** The fixtures' clock + 60 s. */
export const NOW = Date.parse(manifest.clock) + 60_000;

export const key = (name: string) => readFileSync(join(FIXTURES, "keys", `${name}.key`), "utf8");
export const cert = (name: string) => readFileSync(join(FIXTURES, "keys", `${name}.crt`), "utf8");
export const xmlOf = (file: string) => readFileSync(join(FIXTURES, file), "utf8");
export const b64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

export function expectedFor(shape: string, over: ManifestEntry["expected"] & Partial<SamlExpected> = {}): SamlExpected {
  const c = manifest.connections[shape]!;
  const { certs, decryptionKeys, ...rest } = over;
  return {
    acsUrl: c.acsUrl,
    spEntityId: c.spEntityId,
    idpEntityId: c.idpEntityId,
    idpCertificates: (certs ?? c.certs).map(cert),
    requestIds: c.requestIds,
    allowIdpInitiated: false,
    wantAssertionsSigned: true,
    allowSha1: false,
    clockSkewSec: 180,
    decryptionKeys: (decryptionKeys ?? []).map(key),
    ...rest,
  };
}

export function fixture(file: string): ManifestEntry {
  const e = manifest.fixtures.find((f) => f.file === file);
  if (!e) throw new Error(`no fixture ${file}`);
  return e;
}

// ------------------------------------------------------------------------------------------------
// On-the-fly signing with the fixture IdP keys (xml-crypto), for "validly signed by the trusted IdP but
// semantically wrong" cases that would need one fixture file each. The committed fixtures are signed
// by xmlsec1/samlify; this signer is only a convenience for policy cases.
import { SignedXml } from "xml-crypto";

const ASSERTION_XPATH = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";

/** Remove every ds:Signature element (a string-level edit, fine for our fixtures' shapes). */
export function stripSignatures(xml: string): string {
  return xml.replace(/<ds:Signature\b[\s\S]*?<\/ds:Signature>/g, "");
}

export function signAssertion(xml: string, keyName: string, opts: { signatureAlgorithm?: string; digestAlgorithm?: string; prepend?: boolean } = {}): string {
  const sig = new SignedXml({
    privateKey: key(keyName),
    publicCert: cert(keyName),
    signatureAlgorithm: opts.signatureAlgorithm ?? "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
  });
  sig.addReference({
    xpath: ASSERTION_XPATH,
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: opts.digestAlgorithm ?? "http://www.w3.org/2001/04/xmlenc#sha256",
  });
  const location = opts.prepend ? { reference: ASSERTION_XPATH, action: "prepend" as const } : { reference: `${ASSERTION_XPATH}/*[local-name(.)='Issuer']`, action: "after" as const };
  sig.computeSignature(xml, { prefix: "ds", location });
  return sig.getSignedXml();
}

export function signResponse(xml: string, keyName: string): string {
  const sig = new SignedXml({
    privateKey: key(keyName),
    publicCert: cert(keyName),
    signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Response']",
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
  });
  sig.computeSignature(xml, { prefix: "ds", location: { reference: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']", action: "after" } });
  return sig.getSignedXml();
}

/** Entra-shaped response (assertion-only signing) with `edit` applied to the unsigned XML, then re-signed by the Entra IdP key. */
export function entraResigned(edit: (xml: string) => string): string {
  const base = stripSignatures(xmlOf("entra/assertion-signed.xmlsec1.xml"));
  return signAssertion(edit(base), "idp-entra");
}

// ------------------------------------------------------------------------------------------------
// What anyone can do with the SP's *public* encryption certificate: wrap arbitrary plaintext in an
// EncryptedAssertion (AES-128-GCM, RSA-OAEP/MGF1-SHA1 key transport), with node:crypto directly.
import { constants as cryptoConstants, createCipheriv, publicEncrypt, randomBytes } from "node:crypto";

export function encryptedAssertion(plaintext: string, certName: string, opts: { siblingKey?: boolean } = {}): string {
  const cek = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-128-gcm", cek, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const data = Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
  const wrapped = publicEncrypt({ key: cert(certName), padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, cek).toString("base64");
  if (opts.siblingKey) {
    // Shibboleth-style: EncryptedKey next to EncryptedData, referenced by ds:RetrievalMethod.
    return (
      `<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Id="_ed1" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
      `<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:RetrievalMethod Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey" URI="#_ek1"/></ds:KeyInfo>` +
      `<xenc:CipherData><xenc:CipherValue>${data}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>` +
      `<xenc:EncryptedKey xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Id="_ek1" Recipient="sp"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>` +
      `<xenc:CipherData><xenc:CipherValue>${wrapped}</xenc:CipherValue></xenc:CipherData><xenc:ReferenceList><xenc:DataReference URI="#_ed1"/></xenc:ReferenceList></xenc:EncryptedKey></saml2:EncryptedAssertion>`
    );
  }
  return (
    `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
    `<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>` +
    `<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/><xenc:CipherData><xenc:CipherValue>${wrapped}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${data}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`
  );
}
