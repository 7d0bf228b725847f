// NODE-ONLY (imports node:crypto, @node-saml/node-saml). Import only from a "use node" Convex module,
// tests, scripts and bench — never from the default runtime.
//
// SAML 2.0 ACS response validation. Pipeline (each step can only reject):
//   1. size cap on the posted base64, strict base64, strict UTF-8, then a second cap on the bytes;
//   2. refuse any markup declaration (<!DOCTYPE, <!ENTITY, …) before any XML parser sees the text;
//   3. ONE strict DOM parse of the document, and a single walk over it: unique IDs, exactly one
//      Assertion/EncryptedAssertion and only directly under the Response, ds:Signature only directly
//      under what it signs, algorithm allow-list, an embedded KeyInfo certificate must be a trusted one;
//   4. status / Destination / Issuer on the envelope (values there can only make us reject);
//   5. signatures with node-saml's getVerifiedXml (the verification primitive of its
//      validatePostResponseAsync) on that same DOM; decryption with node-saml's decryptXml. What comes
//      back is the canonical XML the signature covers (xml-crypto getSignedReferences), parsed once;
//   6. every semantic check (src/saml/policy.ts) runs on those verified nodes only, never on a node
//      looked up in the posted document — signature wrapping cannot swap what we read.
// Compared with calling validatePostResponseAsync, this drops node-saml's second parse of the whole
// document and its xml2js profile parsing, and is stricter in three places: a Response signature that
// is present must verify (node-saml silently falls back to the assertion's), the decrypted plaintext
// goes through the same DTD/ID/algorithm rules, and assertions are counted anywhere in the document.
// bench/saml.ts measures both on the same responses.

// node-saml's signature and decryption primitives (the ones its validatePostResponseAsync uses), called
// on our single parse of the document. lib/xml has no package "exports" restriction; the version is
// pinned by package.json and test/saml/validate.test.ts checks that the functions are there.
import { decryptXml, getVerifiedXml } from "@node-saml/node-saml/lib/xml.js";
import { DOMParser } from "@xmldom/xmldom";
import { X509Certificate, constants as cryptoConstants, createHash, createPrivateKey, privateDecrypt, type KeyObject } from "node:crypto";
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
    // @xmldom/xmldom 0.9: onError is called for warnings, errors and fatal errors; throwing stops parsing.
    const options = {
      onError: (level: string) => {
        throw new Error(`xml ${level}`);
      },
    };
    const doc = new DOMParser(options as unknown as ConstructorParameters<typeof DOMParser>[0]).parseFromString(xml, "text/xml");
    return doc as unknown as XNode & { documentElement: XElement | null };
  } catch {
    fail("malformed_response", `${what} is not well-formed XML`);
  }
}

// Two linear checks (no overlapping quantifiers: a single regex with whitespace allowed both before and
// after the padding backtracks quadratically on long runs of spaces).
const B64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64Xml(b64: string, maxBytes: number): string {
  // Cap before decoding: 4 base64 chars per 3 bytes, plus room for line breaks.
  if (b64.length > Math.ceil((maxBytes * 4) / 3) * 1.05 + 64) fail("response_too_large", `SAMLResponse exceeds ${maxBytes} bytes`);
  const compact = b64.replace(/[\r\n\t ]+/g, "");
  if (compact.length === 0 || !B64_BODY.test(compact)) fail("malformed_response", "SAMLResponse is not base64");
  const bytes = Buffer.from(compact, "base64");
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
  /** PEM → SHA-256 of the DER, lower-case hex (the fingerprint src/saml/x509.ts and the portal show). */
  sha256ByPem: Map<string, string>;
}

// Parsed certificates, per process (a Convex node action instance serves many requests): X.509
// parsing is a measurable share of one validation. Bounded; keyed by the configured text itself.
const certCache = new Map<string, { der: string; pem: string; sha256: string }>();

function loadTrust(certs: string[]): Trust {
  if (!Array.isArray(certs) || certs.length === 0) fail("invalid_configuration", "expected.idpCertificates is empty");
  const byDer = new Map<string, string>();
  const sha256ByPem = new Map<string, string>();
  certs.forEach((c, i) => {
    if (typeof c !== "string") fail("invalid_configuration", `expected.idpCertificates[${i}] is not a string`);
    let hit = certCache.get(c);
    if (!hit) {
      const der = certDer(c);
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(Buffer.from(der, "base64"));
      } catch {
        fail("invalid_configuration", `expected.idpCertificates[${i}] is not an X.509 certificate`);
      }
      // RSA keys under 2048 bits are factorable at moderate cost (NIST SP 800-131A disallows them).
      const details = x509.publicKey.asymmetricKeyDetails;
      if (x509.publicKey.asymmetricKeyType === "rsa" && (details?.modulusLength ?? 0) < 2048) {
        fail("invalid_configuration", `expected.idpCertificates[${i}] has an RSA key shorter than 2048 bits`);
      }
      hit = { der, pem: x509.toString(), sha256: createHash("sha256").update(x509.raw).digest("hex") };
      if (certCache.size >= 256) certCache.clear();
      certCache.set(c, hit);
    }
    byDer.set(hit.der, hit.pem);
    sha256ByPem.set(hit.pem, hit.sha256);
  });
  return { byDer, sha256ByPem };
}

function attr(el: XElement | undefined | null, name: string): string {
  return el?.getAttribute(name) ?? "";
}

interface SignatureScan {
  /** PEMs to verify with: only the certificates the signatures name, when every signature names one
   * (saves an RSA verification per extra certificate during rotation); otherwise all trusted ones. */
  pems: string[];
}

/**
 * Allow-list and certificate rules for every ds:Signature of a document (the envelope, or a decrypted
 * assertion). A Signature may only sit directly under the element it signs (`allowedParents`).
 */
function checkSignatures(signatures: XElement[], allowedParents: XNode[], expected: SamlExpected, trust: Trust): SignatureScan {
  const matchedCerts = new Set<string>();
  let unmatchedKeyInfo = false;
  for (const sig of signatures) {
    if (!allowedParents.includes(sig.parentNode as XNode)) fail("signature_invalid", "a Signature sits outside the Response or Assertion it could sign");
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
    // be one of the connection's certificates (verification uses only the configured PEMs anyway).
    const keyInfos = children(sig, NS.dsig, "KeyInfo");
    if (keyInfos.length === 0) unmatchedKeyInfo = true;
    for (const keyInfo of keyInfos) {
      const x509Data = children(keyInfo, NS.dsig, "X509Data");
      if (x509Data.length === 0) unmatchedKeyInfo = true;
      for (const data of x509Data) {
        const certs = children(data, NS.dsig, "X509Certificate");
        if (certs.length === 0) unmatchedKeyInfo = true;
        for (const c of certs) {
          const der = (c.textContent ?? "").replace(/\s+/g, "");
          if (trust.byDer.has(der)) matchedCerts.add(der);
          else fail("untrusted_certificate", "the certificate in the signature's KeyInfo is not a trusted IdP certificate");
        }
      }
    }
  }
  const pems = matchedCerts.size > 0 && !unmatchedKeyInfo ? [...matchedCerts].map((d) => trust.byDer.get(d)!) : [...trust.byDer.values()];
  return { pems };
}

// Shape caps, checked in the walk before any signature work: real responses carry tens to a few
// hundred attribute values (Entra caps group claims at 150); node sets in the xpath queries of the
// signature check grow super-linearly with sibling counts.
const MAX_ELEMENTS = 10_000;
const MAX_CHILD_NODES = 2_000;

interface Walk {
  /** Assertion / EncryptedAssertion elements, by local name in any namespace (node-saml selects by local-name() too). */
  assertions: XElement[];
  signatures: XElement[];
}

/** One pass over every element: unique IDs, where assertions and signatures are. */
function walk(root: XElement): Walk {
  const ids = new Set<string>();
  const out: Walk = { assertions: [], signatures: [] };
  let elements = 0;
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
    if (++elements > MAX_ELEMENTS) fail("response_too_large", `more than ${MAX_ELEMENTS} elements`);
    // The xpath library node-saml/xml-crypto use orders node sets with compareDocumentPosition when a
    // node has it; @xmldom/xmldom 0.9's implementation scans siblings with for…in, which made a response
    // with a few thousand sibling elements cost seconds before any signature check (measured: 4000
    // AttributeValues, 6 s). Without it xpath uses its own indexed document-order walk (as it does on
    // node-saml's own xmldom 0.8 DOM). Own property on our DOM only; nothing global is patched.
    (el as unknown as { compareDocumentPosition?: unknown }).compareDocumentPosition = undefined;
    if (el.localName === "Assertion" || el.localName === "EncryptedAssertion") out.assertions.push(el);
    else if (el.namespaceURI === NS.dsig && el.localName === "Signature") out.signatures.push(el);
    const kids = el.childNodes;
    if (kids.length > MAX_CHILD_NODES) fail("response_too_large", `an element has more than ${MAX_CHILD_NODES} child nodes`);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

/** Structural preconditions of wrapping, envelope values, algorithms — all before any cryptography. */
function scanEnvelope(root: XElement, expected: SamlExpected, trust: Trust) {
  const w = walk(root);
  for (const a of w.assertions) {
    if (a.parentNode !== root) fail("assertion_count", `an ${a.localName} appears below ${(a.parentNode as XElement | null)?.localName ?? "?"}, not directly under Response`);
  }
  // Envelope values: they can only make us reject (the signed copy is checked again after verification).
  checkResponse(root, false, expected);
  if (w.assertions.length !== 1) fail("assertion_count", `Response carries ${w.assertions.length} assertions`);
  const assertion = w.assertions[0]!;
  if (assertion.namespaceURI !== NS.assertion) fail("assertion_count", "the assertion is not in the SAML 2.0 assertion namespace");
  const encrypted = assertion.localName === "EncryptedAssertion";
  const { pems } = checkSignatures(w.signatures, [root, assertion], expected, trust);
  const responseSignatures = children(root, NS.dsig, "Signature");
  if (responseSignatures.length > 1) fail("signature_invalid", "Response has more than one Signature");
  const assertionSignatures = encrypted ? 0 : children(assertion, NS.dsig, "Signature").length;
  if (assertionSignatures > 1) fail("signature_invalid", "Assertion has more than one Signature");
  if (!encrypted && responseSignatures.length === 0 && assertionSignatures === 0) fail("signature_missing", "neither the Response nor the Assertion is signed");
  if (!encrypted && assertionSignatures === 0 && expected.wantAssertionsSigned) {
    fail("assertion_unsigned", "the Assertion is not signed and this connection requires signed assertions");
  }
  return { assertion, encrypted, responseSigned: responseSignatures.length === 1, assertionSigned: assertionSignatures === 1, pems };
}

// Parsed SP keys per process, like the certificates (bounded; keyed by the configured PEM text).
const keyCache = new Map<string, KeyObject | null>();
function privateKeyOf(pem: string): KeyObject | null {
  if (typeof pem !== "string") return null;
  let key = keyCache.get(pem);
  if (key === undefined) {
    try {
      key = createPrivateKey(pem);
    } catch {
      key = null;
    }
    if (keyCache.size >= 64) keyCache.clear();
    keyCache.set(pem, key);
  }
  return key;
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
  if (keys.length === 1) {
    // One key (no rotation in progress): nothing to choose; decryptXml unwraps it once.
    if (!privateKeyOf(keys[0]!)) fail("invalid_configuration", "expected.decryptionKeys holds no usable private key");
    if (wrapped.length === 0) fail("decryption_failed", "EncryptedKey CipherValue is empty");
    return keys[0]!;
  }
  let usable = 0;
  for (const pem of keys) {
    const key = privateKeyOf(pem);
    if (!key) continue;
    usable++;
    try {
      const cek = privateDecrypt({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, wrapped);
      if (cek.length === keyLen) return pem;
    } catch {
      // wrong key: try the next one
    }
  }
  if (usable === 0) fail("invalid_configuration", "expected.decryptionKeys holds no usable private key");
  fail("decryption_failed", "no configured SP key decrypts the EncryptedKey");
}

interface Verified {
  /** The canonical bytes the signature covers. */
  bytes: string;
  /** The trusted PEM that verified it. */
  pem: string;
}

/**
 * node-saml's signature verification (getVerifiedXml: exactly one enveloped signature, one reference
 * that must be the signature's parent, unique ID, at most two transforms, xml-crypto checkSignature
 * against the configured PEMs only) → the canonical bytes that signature covers and the PEM that
 * verified them, or a SamlError. getVerifiedXml tries its PEMs in order and returns the first that
 * verifies without saying which; with several, they are handed to it one at a time, in the same order
 * (the same checks and the same RSA verifications: its per-PEM loop, unrolled), so the signer is known.
 */
function verifiedBytes(fullXml: string, node: XElement, pems: string[], what: string): Verified {
  try {
    for (const pem of pems) {
      const bytes = getVerifiedXml(fullXml, node as unknown as Element, [pem]);
      if (bytes) return { bytes, pem };
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/\s+/g, " ").slice(0, 120) : "error";
    fail("signature_invalid", `${what} signature: ${msg}`);
  }
  fail("signature_invalid", `the ${what} signature does not verify with a trusted certificate`);
}

function verifiedRoot(bytes: string, ns: string, local: string, what: string): XElement {
  const root = parseStrict(bytes, `signed ${what}`).documentElement;
  if (!isEl(root, ns, local)) fail("signature_invalid", `the ${what} signature covers something else than the ${what}`);
  return root;
}

async function decryptAssertion(encryptedAssertion: XElement, key: string): Promise<string> {
  try {
    return await decryptXml(encryptedAssertion.toString(), key);
  } catch {
    fail("decryption_failed", "the encrypted assertion did not decrypt");
  }
}

async function run(input: SamlValidationInput): Promise<{ assertion: SamlAssertion; signerSha256?: string }> {
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

  // 1–4: decode, refuse DTDs, one parse, scan.
  const xml = decodeBase64Xml(input.samlResponse, maxBytes);
  const root = parseStrict(xml, "SAMLResponse").documentElement;
  if (!isEl(root, NS.protocol, "Response")) fail("malformed_response", "document element is not a samlp:Response");
  const trust = loadTrust(expected.idpCertificates);
  const scan = scanEnvelope(root, expected, trust);
  // The certificate that verified the first signature checked (the Response's when it is signed), for
  // the portal's "which certificate signs now" during rotation. Observation only: it decides nothing.
  let signerPem: string | undefined;
  const verify = (fullXml: string, node: XElement, pems: string[], what: string): string => {
    const v = verifiedBytes(fullXml, node, pems, what);
    signerPem ??= v.pem;
    return v.bytes;
  };

  // 5: signatures (node-saml), on the same DOM. A Response signature, when present, must verify —
  // node-saml alone would silently fall back to the assertion's signature.
  const verifiedResponse = scan.responseSigned ? verifiedRoot(verify(xml, root, scan.pems, "Response"), NS.protocol, "Response", "Response") : null;
  let verifiedAssertion: XElement | undefined;
  if (!scan.encrypted) {
    if (scan.assertionSigned && (expected.wantAssertionsSigned || !verifiedResponse)) {
      const bytes = verify(xml, scan.assertion, scan.pems, "Assertion");
      // Response unsigned: read from the bytes the assertion's signature covers. Response signed too:
      // read from the signed Response bytes, already parsed (they cover this assertion as well).
      if (!verifiedResponse) verifiedAssertion = verifiedRoot(bytes, NS.assertion, "Assertion", "Assertion");
    }
    if (verifiedResponse) {
      // Read the assertion inside the signed Response bytes.
      const inner = children(verifiedResponse, NS.assertion, "Assertion");
      if (inner.length !== 1 || children(verifiedResponse, NS.assertion, "EncryptedAssertion").length) fail("assertion_count", "signed Response does not carry exactly one assertion");
      verifiedAssertion = inner[0]!;
    }
    if (!verifiedAssertion) fail("signature_missing", "no signature covers the assertion");
  } else {
    // Encrypted: decrypt the ciphertext the Response signature covers when there is one.
    let encryptedNode = scan.assertion;
    if (verifiedResponse) {
      const inner = children(verifiedResponse, NS.assertion, "EncryptedAssertion");
      if (inner.length !== 1 || children(verifiedResponse, NS.assertion, "Assertion").length) fail("assertion_count", "signed Response does not carry exactly one assertion");
      encryptedNode = inner[0]!;
    }
    const key = selectDecryptionKey(encryptedNode, expected.decryptionKeys);
    const plaintext = await decryptAssertion(encryptedNode, key);
    // Anyone can encrypt to the SP's public certificate: the plaintext gets the same treatment as a
    // posted document (DTD refusal, strict parse, unique IDs, no nested assertions, signature rules).
    const decrypted = parseStrict(plaintext, "decrypted assertion").documentElement;
    if (!isEl(decrypted, NS.assertion, "Assertion")) fail("decryption_failed", "EncryptedAssertion did not decrypt to an Assertion");
    const w = walk(decrypted);
    if (w.assertions.length !== 1) fail("assertion_count", "the decrypted assertion contains another assertion");
    const sigs = children(decrypted, NS.dsig, "Signature");
    if (sigs.length > 1) fail("signature_invalid", "Assertion has more than one Signature");
    if (expected.wantAssertionsSigned || !verifiedResponse) {
      if (sigs.length === 0) {
        fail(verifiedResponse ? "assertion_unsigned" : "signature_missing", "the decrypted Assertion is not signed");
      }
      const { pems } = checkSignatures(w.signatures, [decrypted], expected, trust);
      verifiedAssertion = verifiedRoot(verify(plaintext, decrypted, pems, "Assertion"), NS.assertion, "Assertion", "Assertion");
    } else {
      // Response-only signature (opt-in): the ciphertext was signed, so the plaintext is the IdP's.
      checkSignatures(w.signatures, [decrypted], expected, trust);
      verifiedAssertion = decrypted;
    }
  }

  // 6: policy on verified nodes only.
  let responseInResponseTo: string | null;
  if (verifiedResponse) {
    responseInResponseTo = checkResponse(verifiedResponse, true, expected).inResponseTo;
  } else {
    const irt = root.getAttribute("InResponseTo");
    responseInResponseTo = irt === null || irt === "" ? null : irt;
  }
  const assertion = checkAssertion(verifiedAssertion, {
    now: input.now,
    expected,
    responseInResponseTo,
    responseSigned: verifiedResponse !== null,
  });
  const signerSha256 = signerPem === undefined ? undefined : trust.sha256ByPem.get(signerPem);
  return signerSha256 === undefined ? { assertion } : { assertion, signerSha256 };
}

/**
 * Validate a posted SAMLResponse for one connection. Never throws for bad input: every failure is
 * `{ ok: false, code, detail }` with a code from SAML_ERROR_CODES; `detail` is private (trace only).
 * Replay (assertion ID) and single use of InResponseTo are the caller's mutation's job, using
 * `assertion.id`, `assertion.notOnOrAfter` and `assertion.inResponseTo`. `signerSha256` names the trusted
 * certificate that verified the response (SHA-256 of its DER, lower-case hex).
 */
export async function validateSamlResponse(input: SamlValidationInput): Promise<SamlValidationResult> {
  try {
    return { ok: true, ...(await run(input)) };
  } catch (err) {
    if (err instanceof SamlError) return { ok: false, code: err.code, detail: err.detail };
    const name = err instanceof Error ? err.name : "unknown";
    return { ok: false, code: "internal_error", detail: `unexpected ${name} during SAML validation` };
  }
}
