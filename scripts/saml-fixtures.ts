// Rebuilds fixtures/saml/** (test-only material). Run: `npx tsx scripts/saml-fixtures.ts`.
//
// Keys/certificates: openssl, generated once and kept (delete fixtures/saml/keys to regenerate).
// Responses: built from per-IdP templates below (shapes of Okta, Entra ID, Google Workspace, ADFS), then
// signed by two independent signers — xmlsec1 (Debian, libxmlsec1/OpenSSL) and samlify's
// IdentityProvider (xml-crypto) — and encrypted by xmlsec1 (AES-GCM) or samlify (AES-CBC), RSA-OAEP.
// Every fixture uses the fixed clock CLOCK below, so the output only differs run to run in the
// signature/encryption randomness (RSA-PKCS#1 v1.5 signatures are deterministic; encryption is not).
// The manifest (fixtures/saml/manifest.json) records, per fixture, what a validator must be told and
// what it must answer; test/saml/*.test.ts read it.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as samlify from "samlify";

// SAML_FIXTURES_OUT: write the responses elsewhere (test/saml/validate-fixtures.test.ts rebuilds them into a
// temporary folder and compares); the keys are always the committed ones.
const ROOT = process.env.SAML_FIXTURES_OUT ?? join(import.meta.dirname, "..", "fixtures", "saml");
const KEYS = join(import.meta.dirname, "..", "fixtures", "saml", "keys");

/** The fixtures' clock: every IssueInstant. Tests validate at CLOCK + 60 s. */
export const CLOCK = "2026-01-15T10:00:00Z";
const t = (offsetSec: number) => new Date(Date.parse(CLOCK) + offsetSec * 1000).toISOString().replace(".000Z", "Z");
/** Instants as each IdP writes them: ADFS with 7 fractional digits (2026-01-15T10:00:00.0000000Z). */
const ts = (shape: string, offsetSec: number) => (shape === "adfs" ? t(offsetSec).replace(/Z$/, ".0000000Z") : t(offsetSec));

const NS_P = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_A = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";

// ------------------------------------------------------------------------------------------ keys

const KEY_SPECS: Record<string, string> = {
  "idp-okta": "/C=US/O=Okta Fixture/CN=dev-123456.okta.example",
  "idp-okta-next": "/C=US/O=Okta Fixture/CN=dev-123456.okta.example",
  "idp-entra": "/CN=Microsoft Azure Federated SSO Certificate",
  "idp-google": "/C=US/ST=California/L=Mountain View/O=Google Inc./OU=Google For Work/CN=Google",
  "idp-adfs": "/CN=ADFS Signing - adfs.contoso.example",
  // The attacker copies the Okta certificate's subject exactly (certificate faking).
  attacker: "/C=US/O=Okta Fixture/CN=dev-123456.okta.example",
  "sp-enc-old": "/CN=gw.example.test SAML encryption (old)",
  "sp-enc-new": "/CN=gw.example.test SAML encryption (new)",
};

function ensureKeys() {
  mkdirSync(KEYS, { recursive: true });
  for (const [name, subj] of Object.entries(KEY_SPECS)) {
    const key = join(KEYS, `${name}.key`);
    const crt = join(KEYS, `${name}.crt`);
    if (existsSync(key) && existsSync(crt)) continue;
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "7300", "-subj", subj, "-keyout", key, "-out", crt], { stdio: "ignore" });
  }
}
const keyPem = (name: string) => readFileSync(join(KEYS, `${name}.key`), "utf8");
const certPem = (name: string) => readFileSync(join(KEYS, `${name}.crt`), "utf8");

// ------------------------------------------------------------------------------------------ shapes

interface Params {
  shape: "okta" | "entra" | "google" | "adfs";
  responseId: string;
  assertionId: string;
  inResponseTo: string | null;
  destination: string | null;
  responseIssuer: string | null;
  assertionIssuer: string;
  audience: string;
  recipient: string;
  nameId: string;
  nameIdFormat: string;
  status: string;
  attributes: Array<[string, string[]]>;
  sessionIndex: string;
  /** Raw XML put inside NameID instead of the escaped nameId (comment injection by the IdP side). */
  nameIdRaw?: string;
  /** Put a second (distinct) assertion next to the first. */
  secondAssertion?: boolean;
  noAssertion?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// Prefixes per IdP, as those IdPs emit them (Entra and ADFS put the assertion in the default namespace).
const PREFIX = {
  okta: { p: "saml2p", a: "saml2" },
  entra: { p: "samlp", a: "" },
  google: { p: "saml2p", a: "saml2" },
  adfs: { p: "samlp", a: "" },
} as const;

type SigStyle = "plain" | "okta" | "entra";
/**
 * xmlsec1 signature template. "okta": the exc-c14n Transform carries InclusiveNamespaces PrefixList="xs"
 * as Okta's do; "entra": the Signature is in the default namespace (no ds: prefix) as Entra ID's is.
 */
const SIG_TEMPLATE = (ref: string, alg: "sha256" | "sha1", style: SigStyle = "plain") => {
  const d = style === "entra" ? "" : "ds:";
  const open = style === "entra" ? `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` : `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`;
  const excC14n =
    style === "okta"
      ? `<${d}Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></${d}Transform>`
      : `<${d}Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`;
  return (
    `${open}<${d}SignedInfo><${d}CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<${d}SignatureMethod Algorithm="${alg === "sha1" ? "http://www.w3.org/2000/09/xmldsig#rsa-sha1" : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}"/>` +
    `<${d}Reference URI="#${ref}"><${d}Transforms><${d}Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `${excC14n}</${d}Transforms>` +
    `<${d}DigestMethod Algorithm="${alg === "sha1" ? "http://www.w3.org/2000/09/xmldsig#sha1" : "http://www.w3.org/2001/04/xmlenc#sha256"}"/><${d}DigestValue/></${d}Reference></${d}SignedInfo>` +
    `<${d}SignatureValue/><${d}KeyInfo><${d}X509Data/></${d}KeyInfo></${d}Signature>`
  );
};

/** Marker where a signature template may be inserted (schema position: right after Issuer). */
const RESP_SIG = "<!--RESPONSE-SIGNATURE-->";
const ASSERT_SIG = "<!--ASSERTION-SIGNATURE-->";

function assertionXml(p: Params, id: string, nameId: string): string {
  const { a } = PREFIX[p.shape];
  const q = (n: string) => (a ? `${a}:${n}` : n);
  const nsDecl = a ? `xmlns:${a}="${NS_A}"` : `xmlns="${NS_A}"`;
  const attrs = p.attributes
    .map(
      ([name, values]) =>
        `<${q("Attribute")} Name="${esc(name)}"${p.shape === "okta" ? ` NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"` : ""}>` +
        values.map((v) => `<${q("AttributeValue")}${p.shape === "okta" || p.shape === "google" ? ` xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string"` : ""}>${esc(v)}</${q("AttributeValue")}>`).join("") +
        `</${q("Attribute")}>`,
    )
    .join("");
  const irt = p.inResponseTo ? ` InResponseTo="${esc(p.inResponseTo)}"` : "";
  return (
    `<${q("Assertion")} ${nsDecl} ID="${id}" IssueInstant="${ts(p.shape, 0)}" Version="2.0">` +
    `<${q("Issuer")}${p.shape === "okta" ? ` Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"` : ""}>${esc(p.assertionIssuer)}</${q("Issuer")}>` +
    ASSERT_SIG +
    `<${q("Subject")}><${q("NameID")} Format="${p.nameIdFormat}">${nameId}</${q("NameID")}>` +
    `<${q("SubjectConfirmation")} Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><${q("SubjectConfirmationData")}${irt} NotOnOrAfter="${ts(p.shape, 300)}" Recipient="${esc(p.recipient)}"/></${q("SubjectConfirmation")}></${q("Subject")}>` +
    `<${q("Conditions")} NotBefore="${ts(p.shape, -300)}" NotOnOrAfter="${ts(p.shape, 3600)}"><${q("AudienceRestriction")}><${q("Audience")}>${esc(p.audience)}</${q("Audience")}></${q("AudienceRestriction")}></${q("Conditions")}>` +
    `<${q("AuthnStatement")} AuthnInstant="${ts(p.shape, -5)}" SessionIndex="${esc(p.sessionIndex)}"><${q("AuthnContext")}><${q("AuthnContextClassRef")}>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</${q("AuthnContextClassRef")}></${q("AuthnContext")}></${q("AuthnStatement")}>` +
    (attrs ? `<${q("AttributeStatement")}>${attrs}</${q("AttributeStatement")}>` : "") +
    `</${q("Assertion")}>`
  );
}

function responseXml(p: Params): string {
  const { p: pp, a } = PREFIX[p.shape];
  const issuerEl = p.responseIssuer
    ? a
      ? `<${a}:Issuer xmlns:${a}="${NS_A}">${esc(p.responseIssuer)}</${a}:Issuer>`
      : `<Issuer xmlns="${NS_A}">${esc(p.responseIssuer)}</Issuer>`
    : "";
  const nameId = p.nameIdRaw ?? esc(p.nameId);
  const assertion = p.noAssertion ? "" : assertionXml(p, p.assertionId, nameId);
  const second = p.secondAssertion ? assertionXml({ ...p }, p.assertionId + "2", esc("second." + p.nameId)).replace(ASSERT_SIG, "") : "";
  const dest = p.destination ? ` Destination="${esc(p.destination)}"` : "";
  const irt = p.inResponseTo ? ` InResponseTo="${esc(p.inResponseTo)}"` : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<${pp}:Response xmlns:${pp}="${NS_P}"${dest} ID="${p.responseId}"${irt} IssueInstant="${ts(p.shape, 0)}" Version="2.0">` +
    issuerEl +
    RESP_SIG +
    `<${pp}:Status><${pp}:StatusCode Value="${p.status}"/></${pp}:Status>` +
    assertion +
    second +
    `</${pp}:Response>`
  );
}

// ------------------------------------------------------------------------------------------ signers

function xmlsec1Sign(xml: string, key: string, opts: { response: boolean; assertion: boolean; alg?: "sha256" | "sha1"; responseId: string; assertionId: string; keyInfo?: boolean; style?: SigStyle }): string {
  const dir = mkdtempSync(join(tmpdir(), "samlfx-"));
  try {
    const alg = opts.alg ?? "sha256";
    const sign = (doc: string) => {
      const inF = join(dir, "in.xml");
      const outF = join(dir, "out.xml");
      writeFileSync(inF, doc);
      const keyArg = opts.keyInfo === false ? join(KEYS, `${key}.key`) : `${join(KEYS, `${key}.key`)},${join(KEYS, `${key}.crt`)}`;
      execFileSync("xmlsec1", ["--sign", "--privkey-pem", keyArg, "--id-attr:ID", `${NS_A}:Assertion`, "--id-attr:ID", `${NS_P}:Response`, "--output", outF, inF], { stdio: ["ignore", "ignore", "pipe"] });
      return readFileSync(outF, "utf8");
    };
    const tmpl = (id: string) => {
      const s = SIG_TEMPLATE(id, alg, opts.style);
      return opts.keyInfo === false ? s.replace(/<(ds:)?KeyInfo><(ds:)?X509Data\/><\/(ds:)?KeyInfo>/, "") : s;
    };
    let doc = xml.replace(RESP_SIG, "").replace(ASSERT_SIG, opts.assertion ? tmpl(opts.assertionId) : "");
    if (opts.assertion) doc = sign(doc); // xmlsec1 signs the first template in document order
    if (opts.response) {
      // The response template goes right after the Response's Issuer (or first child position).
      const before = doc;
      doc = doc.replace(/(<(?:saml2p|samlp):Response\b[^>]*>(?:<(?:saml2:)?Issuer\b[^>]*>[^<]*<\/(?:saml2:)?Issuer>)?)/, `$1${tmpl(opts.responseId)}`);
      if (doc === before) throw new Error("response signature template not inserted");
      doc = sign(doc);
    }
    return doc;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function xmlsec1EncryptAssertion(xml: string, spCert: string, alg: "aes128-gcm" | "aes256-cbc"): string {
  // Replace the (already signed) Assertion by an EncryptedAssertion: xmlsec1 --encrypt with an
  // EncryptedData template (RSA-OAEP key transport, MGF1/SHA-1) over the assertion element.
  const m = xml.match(/<((?:saml2:)?)Assertion\b[\s\S]*<\/\1Assertion>/);
  if (!m) throw new Error("no assertion to encrypt");
  const dataAlg = alg === "aes128-gcm" ? "http://www.w3.org/2009/xmlenc11#aes128-gcm" : "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
  const session = alg === "aes128-gcm" ? "aes-128" : "aes-256";
  const dir = mkdtempSync(join(tmpdir(), "samlfx-"));
  try {
    const tmpl =
      `<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
      `<xenc:EncryptionMethod Algorithm="${dataAlg}"/>` +
      `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>` +
      `<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
      `<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>`;
    writeFileSync(join(dir, "tmpl.xml"), tmpl);
    writeFileSync(join(dir, "data.xml"), `<?xml version="1.0" encoding="UTF-8"?>` + m[0]);
    execFileSync(
      "xmlsec1",
      ["--encrypt", "--pubkey-cert-pem", join(KEYS, `${spCert}.crt`), "--session-key", session, "--xml-data", join(dir, "data.xml"), "--output", join(dir, "out.xml"), join(dir, "tmpl.xml")],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const enc = readFileSync(join(dir, "out.xml"), "utf8").replace(/^<\?xml[^>]*>\s*/, "");
    const a = m[1] ? "saml2" : "saml";
    return xml.replace(m[0], `<${a}:EncryptedAssertion xmlns:${a}="${NS_A}">${enc}</${a}:EncryptedAssertion>`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function samlifySign(xml: string, key: string, opts: { response: boolean; assertion: boolean; encryptFor?: string; acsUrl: string; spEntityId: string; idpEntityId: string }): Promise<string> {
  const doc = xml.replace(RESP_SIG, "").replace(ASSERT_SIG, "");
  const idp = samlify.IdentityProvider({
    entityID: opts.idpEntityId,
    privateKey: keyPem(key),
    signingCert: certPem(key),
    singleSignOnService: [{ Binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", Location: "https://idp.example.test/sso" }],
    isAssertionEncrypted: !!opts.encryptFor,
    // A login-response template with an AuthnStatement; customTagReplacement returns our full document.
    loginResponseTemplate: { context: doc, attributes: [] },
    ...(opts.encryptFor ? { dataEncryptionAlgorithm: "http://www.w3.org/2001/04/xmlenc#aes256-cbc", keyEncryptionAlgorithm: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" } : {}),
  } as never);
  const sp = samlify.ServiceProvider({
    entityID: opts.spEntityId,
    assertionConsumerService: [{ Binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", Location: opts.acsUrl }],
    wantAssertionsSigned: opts.assertion,
    wantMessageSigned: opts.response,
    ...(opts.encryptFor ? { encryptCert: certPem(opts.encryptFor), isAssertionEncrypted: true } : {}),
  } as never);
  const res = await idp.createLoginResponse(sp, {} as never, "post", {}, (template: string) => ({ id: "x", context: template }), true);
  return Buffer.from((res as { context: string }).context, "base64").toString("utf8");
}

// ------------------------------------------------------------------------------------------ corpus

interface Connection {
  acsUrl: string;
  spEntityId: string;
  idpEntityId: string;
  certs: string[];
  requestIds: string[];
}

const CONNECTIONS: Record<Params["shape"], Connection> = {
  okta: {
    acsUrl: "https://gw.example.test/sso/saml/conn_okta/acs",
    spEntityId: "https://gw.example.test/sso/saml/conn_okta/metadata",
    idpEntityId: "http://www.okta.com/exk1fixture0okta",
    certs: ["idp-okta", "idp-okta-next"],
    requestIds: ["_req_okta_1"],
  },
  entra: {
    acsUrl: "https://gw.example.test/sso/saml/conn_entra/acs",
    spEntityId: "https://gw.example.test/sso/saml/conn_entra/metadata",
    idpEntityId: "https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
    certs: ["idp-entra"],
    requestIds: ["_req_entra_1"],
  },
  google: {
    acsUrl: "https://gw.example.test/sso/saml/conn_google/acs",
    spEntityId: "https://gw.example.test/sso/saml/conn_google/metadata",
    idpEntityId: "https://accounts.google.com/o/saml2?idpid=C0fixture1",
    certs: ["idp-google"],
    requestIds: ["_req_google_1"],
  },
  adfs: {
    acsUrl: "https://gw.example.test/sso/saml/conn_adfs/acs",
    spEntityId: "https://gw.example.test/sso/saml/conn_adfs/metadata",
    idpEntityId: "http://adfs.contoso.example/adfs/services/trust",
    certs: ["idp-adfs"],
    requestIds: ["_req_adfs_1"],
  },
};

const ATTRS: Record<Params["shape"], Array<[string, string[]]>> = {
  okta: [
    ["email", ["ada@acme.example"]],
    ["firstName", ["Ada"]],
    ["lastName", ["Lovelace"]],
    ["groups", ["Engineering", "Admins"]],
  ],
  entra: [
    ["http://schemas.microsoft.com/identity/claims/tenantid", ["11111111-2222-3333-4444-555555555555"]],
    ["http://schemas.microsoft.com/identity/claims/objectidentifier", ["9f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b"]],
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", ["grace@contoso.example"]],
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", ["Grace"]],
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", ["Hopper"]],
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", ["grace@contoso.example"]],
    ["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", ["0e5b7a4c-1111-4a2b-9c3d-aaaaaaaaaaaa", "5d6e7f80-2222-4b3c-8d4e-bbbbbbbbbbbb"]],
  ],
  google: [
    ["email", ["linus@example-workspace.test"]],
    ["first_name", ["Linus"]],
    ["last_name", ["Torvalds"]],
    ["groups", ["eng@example-workspace.test"]],
  ],
  adfs: [
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", ["barbara@contoso.example"]],
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", ["barbara@contoso.example"]],
    ["http://schemas.xmlsoap.org/claims/Group", ["Domain Users", "SSO-Admins"]],
  ],
};

const NAMEID: Record<Params["shape"], [string, string]> = {
  okta: ["ada@acme.example", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
  entra: ["grace@contoso.example", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
  google: ["linus@example-workspace.test", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"],
  adfs: ["CONTOSO\\barbara", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"],
};

function base(shape: Params["shape"], over: Partial<Params> = {}): Params {
  const c = CONNECTIONS[shape];
  return {
    shape,
    responseId: `_resp_${shape}_${Object.keys(over).join("_") || "ok"}`.replace(/[^A-Za-z0-9_]/g, ""),
    assertionId: `_assert_${shape}_${Object.keys(over).join("_") || "ok"}`.replace(/[^A-Za-z0-9_]/g, ""),
    inResponseTo: c.requestIds[0]!,
    destination: c.acsUrl,
    responseIssuer: c.idpEntityId,
    assertionIssuer: c.idpEntityId,
    audience: c.spEntityId,
    recipient: c.acsUrl,
    nameId: NAMEID[shape][0],
    nameIdFormat: NAMEID[shape][1],
    status: SUCCESS,
    attributes: ATTRS[shape],
    sessionIndex: `_session_${shape}`,
    ...over,
  };
}

interface Entry {
  file: string;
  shape: Params["shape"];
  signer: "xmlsec1" | "samlify";
  note: string;
  /** Overrides of the connection defaults for this case. */
  expected?: Partial<{ wantAssertionsSigned: boolean; allowSha1: boolean; allowIdpInitiated: boolean; decryptionKeys: string[]; certs: string[] }>;
  /** ok: the assertion's nameId; else the error code. */
  result: { ok: true; nameId: string } | { ok: false; code: string };
}

async function main() {
  ensureKeys();
  const entries: Entry[] = [];
  const write = (shape: Params["shape"], name: string, xml: string, e: Omit<Entry, "file" | "shape">) => {
    mkdirSync(join(ROOT, shape), { recursive: true });
    const file = `${shape}/${name}.xml`;
    writeFileSync(join(ROOT, file), xml);
    entries.push({ file, shape, ...e });
  };
  const conn = (s: Params["shape"]) => CONNECTIONS[s];
  const sx = (p: Params, key: string, o: { response: boolean; assertion: boolean; alg?: "sha256" | "sha1"; keyInfo?: boolean; style?: SigStyle }) =>
    xmlsec1Sign(responseXml(p), key, { style: p.shape === "okta" ? "okta" : "plain", ...o, responseId: p.responseId, assertionId: p.assertionId });
  const sf = (p: Params, key: string, o: { response: boolean; assertion: boolean; encryptFor?: string }) =>
    samlifySign(responseXml(p), key, { ...o, acsUrl: conn(p.shape).acsUrl, spEntityId: conn(p.shape).spEntityId, idpEntityId: conn(p.shape).idpEntityId });
  const ok = (s: Params["shape"]) => ({ ok: true as const, nameId: NAMEID[s][0] });
  const bad = (code: string) => ({ ok: false as const, code });

  // --- Okta: Response and Assertion signed.
  write("okta", "response-and-assertion-signed.xmlsec1", sx(base("okta"), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "Okta shape, Response + Assertion signed (RSA-SHA256, exc-c14n)", result: ok("okta") });
  write("okta", "response-and-assertion-signed.samlify", await sf(base("okta"), "idp-okta", { response: true, assertion: true }), { signer: "samlify", note: "Okta shape, Response + Assertion signed by samlify's IdentityProvider", result: ok("okta") });
  write("okta", "signed-by-next-certificate.xmlsec1", sx(base("okta", { responseId: "_resp_okta_next", assertionId: "_assert_okta_next" }), "idp-okta-next", { response: true, assertion: true }), { signer: "xmlsec1", note: "signed with the second (rotated-in) IdP certificate; both are trusted", result: ok("okta") });
  write("okta", "signed-by-next-certificate-untrusted.xmlsec1", sx(base("okta", { responseId: "_resp_okta_next2", assertionId: "_assert_okta_next2" }), "idp-okta-next", { response: true, assertion: true }), { signer: "xmlsec1", note: "signed with the new certificate while only the old one is trusted", expected: { certs: ["idp-okta"] }, result: bad("untrusted_certificate") });
  write("okta", "idp-initiated.xmlsec1", sx(base("okta", { inResponseTo: null }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "IdP-initiated (no InResponseTo), IdP-initiated enabled", expected: { allowIdpInitiated: true }, result: ok("okta") });
  write("okta", "idp-initiated-not-allowed.xmlsec1", sx(base("okta", { inResponseTo: null, responseId: "_resp_okta_unsol", assertionId: "_assert_okta_unsol" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "IdP-initiated while the connection does not allow it", result: bad("unsolicited_response") });
  write("okta", "sha1.xmlsec1", sx(base("okta", { responseId: "_resp_okta_sha1", assertionId: "_assert_okta_sha1" }), "idp-okta", { response: true, assertion: true, alg: "sha1" }), { signer: "xmlsec1", note: "RSA-SHA1 + SHA-1 digests, refused by default", result: bad("weak_algorithm") });
  write("okta", "sha1-allowed.xmlsec1", sx(base("okta", { responseId: "_resp_okta_sha1b", assertionId: "_assert_okta_sha1b" }), "idp-okta", { response: true, assertion: true, alg: "sha1" }), { signer: "xmlsec1", note: "RSA-SHA1 accepted when the connection opts in (allowSha1)", expected: { allowSha1: true }, result: ok("okta") });
  write("okta", "wrong-audience.xmlsec1", sx(base("okta", { audience: "https://other-sp.example.test/saml" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "validly signed by the IdP, but for another SP (Audience)", result: bad("audience_mismatch") });
  write("okta", "wrong-recipient.xmlsec1", sx(base("okta", { recipient: "https://other-sp.example.test/acs" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "validly signed, SubjectConfirmationData Recipient is another ACS", result: bad("recipient_mismatch") });
  write("okta", "wrong-destination.xmlsec1", sx(base("okta", { destination: "https://other-sp.example.test/acs" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "validly signed Response whose Destination is another ACS", result: bad("destination_mismatch") });
  write("okta", "missing-destination.xmlsec1", sx(base("okta", { destination: null }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "signed Response without Destination (Bindings §3.5.5.2 requires it)", result: bad("destination_mismatch") });
  write("okta", "wrong-issuer.xmlsec1", sx(base("okta", { assertionIssuer: "http://www.okta.com/exkOTHERTENANT", responseIssuer: "http://www.okta.com/exkOTHERTENANT" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "signed with the trusted key but issued by another IdP entity (shared signing key across tenants)", result: bad("issuer_mismatch") });
  write("okta", "wrong-in-response-to.xmlsec1", sx(base("okta", { inResponseTo: "_req_someone_else" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "answers a request this connection never sent", result: bad("in_response_to_mismatch") });
  write("okta", "status-responder.xmlsec1", sx(base("okta", { status: "urn:oasis:names:tc:SAML:2.0:status:Responder", noAssertion: true }), "idp-okta", { response: true, assertion: false }), { signer: "xmlsec1", note: "signed error response (Responder), no assertion", result: bad("status_not_success") });
  write("okta", "two-assertions.xmlsec1", sx(base("okta", { secondAssertion: true }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "Response signed over two assertions", result: bad("assertion_count") });
  write("okta", "nameid-with-comment.xmlsec1", sx(base("okta", { nameId: "admin@acme.example.evil.test", nameIdRaw: "admin@acme.example<!---->.evil.test", responseId: "_resp_okta_cmt", assertionId: "_assert_okta_cmt" }), "idp-okta", { response: true, assertion: true }), { signer: "xmlsec1", note: "NameID with a comment inside, signed as is (c14n drops comments): must read the whole value", result: { ok: true, nameId: "admin@acme.example.evil.test" } });
  write("okta", "attacker-signed-embedded-cert.xmlsec1", sx(base("okta", { responseId: "_resp_okta_evil", assertionId: "_assert_okta_evil", nameId: "ceo@acme.example" }), "attacker", { response: true, assertion: true }), { signer: "xmlsec1", note: "certificate faking: attacker key, self-signed certificate with the same subject, embedded in KeyInfo", result: bad("untrusted_certificate") });
  write("okta", "attacker-signed-no-keyinfo.xmlsec1", sx(base("okta", { responseId: "_resp_okta_evil2", assertionId: "_assert_okta_evil2", nameId: "ceo@acme.example" }), "attacker", { response: true, assertion: true, keyInfo: false }), { signer: "xmlsec1", note: "attacker key, no KeyInfo at all", result: bad("signature_invalid") });

  // --- Entra ID: Assertion signed only, default-namespace assertion, claim URIs.
  const entraP = base("entra", { nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" });
  write("entra", "assertion-signed.xmlsec1", sx(entraP, "idp-entra", { response: false, assertion: true }), { signer: "xmlsec1", note: "Entra ID shape: only the Assertion is signed; claim URIs; groups as object IDs", result: ok("entra") });
  write("entra", "assertion-signed-default-ns-signature.xmlsec1", sx(base("entra", { responseId: "_resp_entra_dns", assertionId: "_assert_entra_dns" }), "idp-entra", { response: false, assertion: true, style: "entra" }), { signer: "xmlsec1", note: "Entra ID's exact signature form: <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"> without a prefix", result: ok("entra") });
  write("entra", "assertion-signed.samlify", await sf(entraP, "idp-entra", { response: false, assertion: true }), { signer: "samlify", note: "Entra ID shape signed by samlify (assertion only)", result: ok("entra") });
  write("entra", "idp-initiated.samlify", await sf(base("entra", { inResponseTo: null }), "idp-entra", { response: false, assertion: true }), { signer: "samlify", note: "Entra IdP-initiated (My Apps tile), allowed", expected: { allowIdpInitiated: true }, result: ok("entra") });
  write("entra", "wrong-audience.samlify", await sf(base("entra", { audience: "spn:00000000-other-app" }), "idp-entra", { response: false, assertion: true }), { signer: "samlify", note: "assertion for another enterprise app", result: bad("audience_mismatch") });

  // --- Google Workspace: assertion signed by default; "signed response" option signs the Response only.
  write("google", "assertion-signed.xmlsec1", sx(base("google"), "idp-google", { response: false, assertion: true }), { signer: "xmlsec1", note: "Google Workspace default: Assertion signed", result: ok("google") });
  write("google", "response-signed-only.xmlsec1", sx(base("google", { responseId: "_resp_google_ro", assertionId: "_assert_google_ro" }), "idp-google", { response: true, assertion: false }), { signer: "xmlsec1", note: "Response signed, Assertion not: refused unless the connection opts in", result: bad("assertion_unsigned") });
  write("google", "response-signed-only-allowed.xmlsec1", sx(base("google", { responseId: "_resp_google_ro2", assertionId: "_assert_google_ro2" }), "idp-google", { response: true, assertion: false }), { signer: "xmlsec1", note: "Response-only signature accepted with wantAssertionsSigned=false", expected: { wantAssertionsSigned: false }, result: ok("google") });
  write("google", "response-signed-only.samlify", await sf(base("google", { responseId: "_resp_google_ro3", assertionId: "_assert_google_ro3" }), "idp-google", { response: true, assertion: false }), { signer: "samlify", note: "samlify, Response signed only, opt-in", expected: { wantAssertionsSigned: false }, result: ok("google") });
  write("google", "unsigned.xmlsec1", responseXml(base("google", { responseId: "_resp_google_uns", assertionId: "_assert_google_uns" })).replace(RESP_SIG, "").replace(ASSERT_SIG, ""), { signer: "xmlsec1", note: "nothing signed (signature exclusion)", result: bad("signature_missing") });

  // --- ADFS: assertion signed then encrypted (AES + RSA-OAEP), Response unsigned.
  const adfsSigned = sx(base("adfs"), "idp-adfs", { response: false, assertion: true });
  write("adfs", "encrypted-aes128gcm.xmlsec1", xmlsec1EncryptAssertion(adfsSigned, "sp-enc-new", "aes128-gcm"), { signer: "xmlsec1", note: "ADFS shape: Assertion signed (xmlsec1) then encrypted by xmlsec1, AES-128-GCM + RSA-OAEP to the NEW SP key; keys [old, new]", expected: { decryptionKeys: ["sp-enc-old", "sp-enc-new"] }, result: ok("adfs") });
  write("adfs", "encrypted-aes256cbc.xmlsec1", xmlsec1EncryptAssertion(adfsSigned, "sp-enc-old", "aes256-cbc"), { signer: "xmlsec1", note: "ADFS shape, AES-256-CBC + RSA-OAEP to the OLD SP key; keys [old, new]", expected: { decryptionKeys: ["sp-enc-old", "sp-enc-new"] }, result: ok("adfs") });
  write("adfs", "encrypted.samlify", await sf(base("adfs", { responseId: "_resp_adfs_sf", assertionId: "_assert_adfs_sf" }), "idp-adfs", { response: false, assertion: true, encryptFor: "sp-enc-old" }), { signer: "samlify", note: "samlify: Assertion signed then encrypted (AES-256-CBC, RSA-OAEP) to the old SP key", expected: { decryptionKeys: ["sp-enc-old"] }, result: ok("adfs") });
  write("adfs", "encrypted-wrong-key.xmlsec1", xmlsec1EncryptAssertion(sx(base("adfs", { responseId: "_resp_adfs_wk", assertionId: "_assert_adfs_wk" }), "idp-adfs", { response: false, assertion: true }), "attacker", "aes128-gcm"), { signer: "xmlsec1", note: "encrypted to a key the SP does not hold", expected: { decryptionKeys: ["sp-enc-old", "sp-enc-new"] }, result: bad("decryption_failed") });
  write("adfs", "encrypted-unsigned.xmlsec1", xmlsec1EncryptAssertion(responseXml(base("adfs", { responseId: "_resp_adfs_us", assertionId: "_assert_adfs_us" })).replace(RESP_SIG, "").replace(ASSERT_SIG, ""), "sp-enc-new", "aes128-gcm"), { signer: "xmlsec1", note: "anyone can encrypt to the SP's public key: an encrypted but unsigned assertion", expected: { decryptionKeys: ["sp-enc-new"] }, result: bad("signature_missing") });
  write("adfs", "assertion-signed.xmlsec1", adfsSigned, { signer: "xmlsec1", note: "ADFS shape, not encrypted, Assertion signed", result: ok("adfs") });

  const manifest = {
    note: "Generated by scripts/saml-fixtures.ts. Clock: every IssueInstant is `clock`; validate at clock + 60 s. Keys under keys/ are test-only.",
    clock: CLOCK,
    connections: Object.fromEntries(Object.entries(CONNECTIONS).map(([k, c]) => [k, c])),
    fixtures: entries,
  };
  writeFileSync(join(ROOT, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(
    join(ROOT, "README.md"),
    `# SAML response fixtures\n\nTest-only corpus for \`validateSamlResponse\` (see docs/saml-validation.md). Rebuild with ` +
      `\`npx tsx scripts/saml-fixtures.ts\` (needs openssl, xmlsec1). \`manifest.json\` lists every fixture with the connection ` +
      `it is validated against and the expected result. Clock: ${CLOCK}; tests validate at ${t(60)}.\n\n` +
      `- \`keys/\`: RSA-2048 keys and self-signed certificates made once with \`openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7300\` ` +
      `(kept between runs; delete a pair to remake it). Test-only, never use them anywhere else:\n` +
      Object.entries(KEY_SPECS).map(([k, subj]) => `  - \`${k}\` — ${subj}`).join("\n") +
      `\n  (\`attacker\` copies the Okta certificate's subject on purpose: certificate faking.)\n` +
      `- \`okta/\`, \`entra/\`, \`google/\`, \`adfs/\`: responses shaped like each IdP's; each folder's README lists how each file was made.\n`,
  );
  for (const shape of Object.keys(CONNECTIONS) as Params["shape"][]) {
    const list = entries.filter((e) => e.shape === shape).map((e) => `- \`${e.file.split("/")[1]}\` (${e.signer}): ${e.note} → ${e.result.ok ? "accepted" : `\`${e.result.code}\``}`);
    writeFileSync(
      join(ROOT, shape, "README.md"),
      `# ${shape} fixtures\n\nMade by \`scripts/saml-fixtures.ts\` (do not edit by hand): an XML template shaped like ${shape}'s responses, ` +
        `signed with the test-only keys in \`../keys\` by xmlsec1 ${"(`xmlsec1 --sign --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion …`)"} or samlify's IdentityProvider, ` +
        `encrypted by xmlsec1 or samlify where noted.\n\nClock: IssueInstant ${CLOCK}; Conditions ${t(-300)} – ${t(3600)}; SubjectConfirmationData NotOnOrAfter ${t(300)}. ` +
        `Tests validate at ${t(60)}.\n\nConnection: \`${JSON.stringify(CONNECTIONS[shape])}\` (see ../manifest.json).\n\n${list.join("\n")}\n`,
    );
  }
}

await main();
