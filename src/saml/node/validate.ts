// NODE-ONLY (imports node:crypto, @node-saml/node-saml). Import only from a "use node" Convex module,
// tests, scripts and bench — never from the default runtime.
//
// SAML 2.0 ACS response validation. Pipeline (each step can only reject):
//   1. size cap on the posted base64, strict base64, strict UTF-8, then a second cap on the bytes;
//   2. refuse any markup declaration (<!DOCTYPE, <!ENTITY, …) before any XML parser sees the text;
//   3. one strict DOM parse of the envelope (ours), and a single walk over it: unique IDs, exactly one
//      Assertion/EncryptedAssertion and only directly under the Response, ds:Signature only where SAML
//      puts it, algorithm allow-list, embedded KeyInfo certificate must be a trusted one;
//   4. status / Destination / Issuer on the envelope (values there can only make us reject);
//   5. node-saml's validatePostResponseAsync for the cryptography (signature references, enveloped
//      signature, multiple-assertion refusal, decryption) — through a subclass that overrides its
//      profile extraction: we take the XML *bytes node-saml reports as signed* (xml-crypto's
//      getSignedReferences) and parse them once;
//   6. every semantic check (src/saml/policy.ts) runs on those verified nodes only, never on a node
//      looked up in the posted document — signature wrapping cannot swap what we read.
// node-saml's own xml2js profile parsing (its slowest part) and its clock/audience/InResponseTo checks
// are replaced, not duplicated, so the whole pipeline costs no more than raw node-saml (bench/saml.ts).

import { SAML, ValidateInResponseTo, type Profile } from "@node-saml/node-saml";
import { DOMParser } from "@xmldom/xmldom";
import { X509Certificate, constants as cryptoConstants, createPrivateKey, privateDecrypt, type KeyObject } from "node:crypto";
import { SamlError, type SamlErrorCode } from "../errors";
import {
  NS,
  DEFAULT_CLOCK_SKEW_SEC,
  DEFAULT_MAX_BYTES,
  checkAssertion,
  checkResponse,
  children,
  isEl,
  type SamlAssertion,
  type SamlExpected,
  type SamlValidationInput,
  type SamlValidationResult,
  type XElement,
  type XNode,
} from "../policy";

export type { SamlAssertion, SamlExpected, SamlValidationInput, SamlValidationResult } from "../policy";
export { SAML_ERROR_CODES, SamlError, type SamlErrorCode } from "../errors";

// ---------------------------------------------------------------------------------------------
// Algorithm allow-lists (XML-DSig 1.1 §6, XML-Enc 1.1 §5). Anything else is refused before any
// cryptography runs. RSA-SHA384/ECDSA are correct algorithms but xml-crypto 6 (inside node-saml)
// cannot verify them, so they are refused with `unsupported_algorithm` rather than failing later.

const SIG_STRONG = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
]);
const SIG_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const DIGEST_STRONG = new Set(["http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"]);
const DIGEST_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1";
// Comment-preserving c14n variants are refused: comments must never be part of what is signed.
const C14N = new Set(["http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"]);
const TRANSFORMS = new Set([...C14N, "http://www.w3.org/2000/09/xmldsig#enveloped-signature"]);
const DATA_ENC: Record<string, number> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": 16,
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": 32,
  "http://www.w3.org/2009/xmlenc11#aes128-gcm": 16,
  "http://www.w3.org/2009/xmlenc11#aes256-gcm": 32,
};
// RSA-OAEP (MGF1, SHA-1 as the OAEP digest — the only variant xml-encryption 3 decrypts correctly).
// RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher oracle).
const KEY_TRANSPORT_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

// ---------------------------------------------------------------------------------------------

function fail(code: SamlErrorCode, detail: string): never {
  throw new SamlError(code, detail);
}

/** Strict parse: any warning or error of the parser rejects the document. */
function parseStrict(xml: string, what: string): XNode & { documentElement: XElement | null } {
  if (/<!(?!--|\[CDATA\[)/.test(xml)) fail("dtd_forbidden", `${what} contains a markup declaration (DOCTYPE/ENTITY)`);
  try {
    const doc = new DOMParser({
      onError: (level: string) => {
        throw new Error(`xml ${level}`);
      },
    }).parseFromString(xml, "text/xml");
    return doc as unknown as XNode & { documentElement: XElement | null };
  } catch {
    fail("malformed_response", `${what} is not well-formed XML`);
  }
}

const B64 = /^[A-Za-z0-9+/\r\n\t ]+={0,2}[\r\n\t ]*$/;

function decodeBase64Xml(b64: string, maxBytes: number): string {
  // Cap before decoding: 4 base64 chars per 3 bytes, plus room for line breaks.
  if (b64.length > Math.ceil((maxBytes * 4) / 3) * 1.05 + 64) fail("response_too_large", `SAMLResponse exceeds ${maxBytes} bytes`);
  if (b64.length === 0 || !B64.test(b64)) fail("malformed_response", "SAMLResponse is not base64");
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length > maxBytes) fail("response_too_large", `SAMLResponse exceeds ${maxBytes} bytes`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    fail("malformed_response", "SAMLResponse is not UTF-8");
  }
}

function certDer(cert: string): string {
  return cert
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
    .replace(/\s+/g, "");
}

interface Trust {
  /** DER base64 (no whitespace) → PEM */
  byDer: Map<string, string>;
}

function loadTrust(certs: string[]): Trust {
  if (!Array.isArray(certs) || certs.length === 0) fail("invalid_configuration", "expected.idpCertificates is empty");
  const byDer = new Map<string, string>();
  certs.forEach((c, i) => {
    const der = certDer(c);
    let pem: string;
    try {
      pem = new X509Certificate(Buffer.from(der, "base64")).toString();
    } catch {
      fail("invalid_configuration", `expected.idpCertificates[${i}] is not an X.509 certificate`);
    }
    byDer.set(der, pem);
  });
  return { byDer };
}

function attr(el: XElement | undefined | null, name: string): string {
  return el?.getAttribute(name) ?? "";
}

/** Walk every element once; refuse the structural preconditions of wrapping and the weak algorithms. */
function scanEnvelope(root: XElement, expected: SamlExpected, trust: Trust) {
  const ids = new Set<string>();
  const assertions: XElement[] = [];
  const signatures: XElement[] = [];
  const stack: XNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.nodeType !== 1) continue;
    const el = node as XElement & { attributes: { length: number; [i: number]: { localName: string | null; value: string } } };
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (a.localName === "ID" || a.localName === "Id" || a.localName === "id") {
        if (ids.has(a.value)) fail("duplicate_id", "two elements share one ID value");
        ids.add(a.value);
      }
    }
    if (el.namespaceURI === NS.assertion && (el.localName === "Assertion" || el.localName === "EncryptedAssertion")) {
      if (el.parentNode !== root) fail("assertion_count", `an ${el.localName} appears below ${(el.parentNode as XElement | null)?.localName ?? "?"}, not directly under Response`);
      assertions.push(el);
    } else if (el.namespaceURI === NS.dsig && el.localName === "Signature") {
      signatures.push(el);
    }
    const kids = el.childNodes;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }

  // Envelope values: can only make us reject (the signed copy is checked again after verification).
  checkResponse(root, false, expected);
  if (assertions.length !== 1) fail("assertion_count", `Response carries ${assertions.length} assertions`);
  const assertion = assertions[0]!;
  const encrypted = assertion.localName === "EncryptedAssertion";

  const matchedCerts = new Set<string>();
  let unmatchedKeyInfo = false;
  for (const sig of signatures) {
    if (sig.parentNode !== root && sig.parentNode !== assertion) fail("signature_invalid", "a Signature sits outside the Response or Assertion it could sign");
    const signedInfo = children(sig, NS.dsig, "SignedInfo");
    if (signedInfo.length !== 1) fail("signature_invalid", "Signature must have one SignedInfo");
    const si = signedInfo[0]!;
    const c14n = attr(children(si, NS.dsig, "CanonicalizationMethod")[0], "Algorithm");
    if (!C14N.has(c14n)) fail("unsupported_algorithm", "CanonicalizationMethod is not on the allow-list");
    const sm = attr(children(si, NS.dsig, "SignatureMethod")[0], "Algorithm");
    if (sm === SIG_SHA1) {
      if (!expected.allowSha1) fail("weak_algorithm", "SignatureMethod is RSA-SHA1 and SHA-1 is not allowed for this connection");
    } else if (!SIG_STRONG.has(sm)) fail("unsupported_algorithm", "SignatureMethod is not on the allow-list");
    const refs = children(si, NS.dsig, "Reference");
    if (refs.length !== 1) fail("signature_invalid", "Signature must have exactly one Reference");
    const ref = refs[0]!;
    const dm = attr(children(ref, NS.dsig, "DigestMethod")[0], "Algorithm");
    if (dm === DIGEST_SHA1) {
      if (!expected.allowSha1) fail("weak_algorithm", "DigestMethod is SHA-1 and SHA-1 is not allowed for this connection");
    } else if (!DIGEST_STRONG.has(dm)) fail("unsupported_algorithm", "DigestMethod is not on the allow-list");
    const transformsEl = children(ref, NS.dsig, "Transforms")[0];
    const transforms = transformsEl ? children(transformsEl, NS.dsig, "Transform") : [];
    if (transforms.length > 2) fail("signature_invalid", "Reference has more than two Transforms");
    for (const t of transforms) if (!TRANSFORMS.has(attr(t, "Algorithm"))) fail("unsupported_algorithm", "Transform is not on the allow-list");
    // Certificate faking: a certificate embedded in KeyInfo is never trusted by itself; if present it must
    // be one of the connection's certificates (verification then uses only the configured PEM anyway).
    for (const keyInfo of children(sig, NS.dsig, "KeyInfo")) {
      for (const x509Data of children(keyInfo, NS.dsig, "X509Data")) {
        for (const c of children(x509Data, NS.dsig, "X509Certificate")) {
          const der = (c.textContent ?? "").replace(/\s+/g, "");
          if (trust.byDer.has(der)) matchedCerts.add(der);
          else fail("untrusted_certificate", "the certificate in the signature's KeyInfo is not a trusted IdP certificate");
        }
      }
      if (!children(keyInfo, NS.dsig, "X509Data").length) unmatchedKeyInfo = true;
    }
    if (!children(sig, NS.dsig, "KeyInfo").length) unmatchedKeyInfo = true;
  }
  const responseSignatures = children(root, NS.dsig, "Signature");
  if (responseSignatures.length > 1) fail("signature_invalid", "Response has more than one Signature");
  const assertionSigned = !encrypted && children(assertion, NS.dsig, "Signature").length > 0;
  if (!encrypted && responseSignatures.length === 0 && !assertionSigned) fail("signature_missing", "neither the Response nor the Assertion is signed");
  if (!encrypted && !assertionSigned && expected.wantAssertionsSigned) {
    fail("assertion_unsigned", "the Assertion is not signed and this connection requires signed assertions");
  }

  // Verify only with the certificates the signatures name, when every signature names one (saves an
  // RSA verification per extra certificate during rotation); otherwise with all trusted certificates.
  const pems = matchedCerts.size > 0 && !unmatchedKeyInfo ? [...matchedCerts].map((d) => trust.byDer.get(d)!) : [...trust.byDer.values()];
  return { assertion, encrypted, responseSigned: responseSignatures.length === 1, pems };
}

/** Pick the SP key that unwraps the EncryptedKey (rotation: old and new keys). */
function selectDecryptionKey(encryptedAssertion: XElement, keys: string[]): string {
  const encryptedData = children(encryptedAssertion, NS.xenc, "EncryptedData");
  if (encryptedData.length !== 1) fail("decryption_failed", "EncryptedAssertion must hold one EncryptedData");
  const dataAlg = attr(children(encryptedData[0]!, NS.xenc, "EncryptionMethod")[0], "Algorithm");
  const keyLen = DATA_ENC[dataAlg];
  if (!keyLen) fail("unsupported_algorithm", "EncryptedData EncryptionMethod is not on the allow-list");
  const encryptedKeys: XElement[] = [];
  const stack: XNode[] = [encryptedAssertion];
  while (stack.length) {
    const n = stack.pop()!;
    if (isEl(n, NS.xenc, "EncryptedKey")) encryptedKeys.push(n);
    const kids = n.childNodes;
    for (let i = 0; i < kids.length; i++) stack.push(kids[i]!);
  }
  if (encryptedKeys.length !== 1) fail("decryption_failed", `EncryptedAssertion must hold one EncryptedKey, found ${encryptedKeys.length}`);
  const ek = encryptedKeys[0]!;
  const method = children(ek, NS.xenc, "EncryptionMethod")[0];
  if (attr(method, "Algorithm") !== KEY_TRANSPORT_OAEP) fail("unsupported_algorithm", "EncryptedKey EncryptionMethod is not RSA-OAEP (mgf1p)");
  const digest = method ? children(method, NS.dsig, "DigestMethod")[0] : undefined;
  if (digest && attr(digest, "Algorithm") !== DIGEST_SHA1) fail("unsupported_algorithm", "RSA-OAEP DigestMethod other than SHA-1 is not supported");
  const cipherValue = children(children(ek, NS.xenc, "CipherData")[0] ?? ek, NS.xenc, "CipherValue")[0];
  if (!cipherValue) fail("decryption_failed", "EncryptedKey has no CipherValue");
  const wrapped = Buffer.from((cipherValue.textContent ?? "").replace(/\s+/g, ""), "base64");
  if (!Array.isArray(keys) || keys.length === 0) fail("decryption_failed", "encrypted assertion but no SP decryption key is configured");
  for (const pem of keys) {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      continue;
    }
    try {
      const cek = privateDecrypt({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, wrapped);
      if (cek.length === keyLen) return pem;
    } catch {
      // wrong key: try the next one
    }
  }
  fail("decryption_failed", "no configured SP key decrypts the EncryptedKey");
}

/**
 * node-saml, with its profile step replaced: node-saml verifies, we keep the verified XML.
 * One instance per validation (it holds the verified nodes).
 */
class VerifyingSaml extends SAML {
  verifiedResponse: XElement | null = null;
  verifiedAssertion: XElement | null = null;

  protected override async getSignedAssertion(signedXml: string): Promise<string | null> {
    const doc = parseStrict(signedXml, "signed XML");
    const root = doc.documentElement;
    if (isEl(root, NS.protocol, "Response")) {
      this.verifiedResponse = root;
      const plain = children(root, NS.assertion, "Assertion");
      const enc = children(root, NS.assertion, "EncryptedAssertion");
      if (plain.length + enc.length !== 1) fail("assertion_count", "signed Response does not carry exactly one assertion");
      if (plain.length === 1) {
        this.verifiedAssertion = plain[0]!;
        return "verified";
      }
      // Decrypt the EncryptedAssertion of the *signed* Response bytes (node-saml does the decryption).
      const decrypted = await super.getSignedAssertion(signedXml);
      if (!decrypted) fail("decryption_failed", "EncryptedAssertion did not decrypt to an assertion");
      const d = parseStrict(decrypted, "decrypted assertion").documentElement;
      if (!isEl(d, NS.assertion, "Assertion")) fail("decryption_failed", "EncryptedAssertion did not decrypt to an Assertion");
      this.verifiedAssertion = d;
      return "verified";
    }
    if (isEl(root, NS.assertion, "Assertion")) {
      this.verifiedAssertion = root;
      return "verified";
    }
    fail("malformed_response", "signed node is neither a Response nor an Assertion");
  }

  // Our policy (src/saml/policy.ts) runs on the verified nodes after node-saml returns.
  protected override async processValidlySignedAssertionAsync(this: SAML): Promise<{ profile: Profile; loggedOut: boolean }> {
    return { profile: { issuer: "", nameID: "", nameIDFormat: "" } as Profile, loggedOut: false };
  }

  // InResponseTo is checked by the policy against signed values and the connection's pending requests.
  protected override async validateInResponseTo(): Promise<void> {}
}

function mapNodeSamlError(e: unknown, encrypted: boolean): SamlError {
  if (e instanceof SamlError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const short = msg.replace(/\s+/g, " ").slice(0, 160);
  if (/multiple assertions/i.test(msg)) return new SamlError("assertion_count", short);
  if (encrypted && /decrypt|EncryptedAssertion content|encryption|padding|unable to authenticate|cant find|oaep|cipher/i.test(msg)) {
    return new SamlError("decryption_failed", "the encrypted assertion did not decrypt");
  }
  if (/not supported|algorithm/i.test(msg)) return new SamlError("unsupported_algorithm", short);
  if (/signature|reference|transform|signed/i.test(msg)) return new SamlError("signature_invalid", short);
  if (/status/i.test(msg)) return new SamlError("status_not_success", short);
  return new SamlError("internal_error", `node-saml: ${short}`);
}

async function run(input: SamlValidationInput): Promise<SamlAssertion> {
  if (!input || typeof input !== "object" || typeof input.samlResponse !== "string" || !input.expected || !Number.isFinite(input.now)) {
    fail("invalid_configuration", "validateSamlResponse called with an invalid input");
  }
  const e = input.expected;
  const expected: SamlExpected = {
    ...e,
    wantAssertionsSigned: e.wantAssertionsSigned !== false,
    allowSha1: e.allowSha1 === true,
    allowIdpInitiated: e.allowIdpInitiated === true,
    clockSkewSec: Number.isFinite(e.clockSkewSec) && e.clockSkewSec >= 0 ? e.clockSkewSec : DEFAULT_CLOCK_SKEW_SEC,
    requestIds: Array.isArray(e.requestIds) ? e.requestIds : [],
    decryptionKeys: Array.isArray(e.decryptionKeys) ? e.decryptionKeys : [],
  };
  for (const k of ["acsUrl", "spEntityId", "idpEntityId"] as const) {
    if (typeof expected[k] !== "string" || expected[k] === "") fail("invalid_configuration", `expected.${k} is empty`);
  }
  const maxBytes = e.maxBytes && e.maxBytes > 0 ? e.maxBytes : DEFAULT_MAX_BYTES;

  const xml = decodeBase64Xml(input.samlResponse, maxBytes);
  const doc = parseStrict(xml, "SAMLResponse");
  const root = doc.documentElement;
  if (!isEl(root, NS.protocol, "Response")) fail("malformed_response", "document element is not a samlp:Response");
  const trust = loadTrust(expected.idpCertificates);
  const scan = scanEnvelope(root, expected, trust);
  const decryptionPvk = scan.encrypted ? selectDecryptionKey(scan.assertion, expected.decryptionKeys) : undefined;

  const saml = new VerifyingSaml({
    callbackUrl: expected.acsUrl,
    issuer: expected.spEntityId,
    audience: expected.spEntityId,
    idpCert: scan.pems,
    wantAssertionsSigned: expected.wantAssertionsSigned,
    // Our rule instead: a Response signature, when present, must verify (checked below).
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    ...(decryptionPvk ? { decryptionPvk } : {}),
  });
  try {
    await saml.validatePostResponseAsync({ SAMLResponse: input.samlResponse });
  } catch (err) {
    throw mapNodeSamlError(err, scan.encrypted);
  }
  if (scan.responseSigned && !saml.verifiedResponse) fail("signature_invalid", "the Response signature does not verify");
  if (!saml.verifiedAssertion) fail("signature_missing", "no verified assertion");

  let responseInResponseTo: string | null;
  if (saml.verifiedResponse) {
    responseInResponseTo = checkResponse(saml.verifiedResponse, true, expected).inResponseTo;
  } else {
    const irt = root.getAttribute("InResponseTo");
    responseInResponseTo = irt === null || irt === "" ? null : irt;
  }
  return checkAssertion(saml.verifiedAssertion, {
    now: input.now,
    expected,
    responseInResponseTo,
    responseSigned: saml.verifiedResponse !== null,
  });
}

/**
 * Validate a posted SAMLResponse for one connection. Never throws for bad input: every failure is
 * `{ ok: false, code, detail }` with a code from SAML_ERROR_CODES; `detail` is private (trace only).
 * Replay (assertion ID) and single use of InResponseTo are the caller's mutation's job, using
 * `assertion.id`, `assertion.notOnOrAfter` and `assertion.inResponseTo`.
 */
export async function validateSamlResponse(input: SamlValidationInput): Promise<SamlValidationResult> {
  try {
    return { ok: true, assertion: await run(input) };
  } catch (err) {
    if (err instanceof SamlError) return { ok: false, code: err.code, detail: err.detail };
    const name = err instanceof Error ? err.name : "unknown";
    return { ok: false, code: "internal_error", detail: `unexpected ${name} during SAML validation` };
  }
}
