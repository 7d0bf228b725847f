// SAML 2.0 Web Browser SSO response policy: the checks node-saml does not do (or does loosely),
// applied to DOM nodes that were covered by a verified signature. Pure: no node:*, no Buffer, no clock
// of its own (the caller passes `now`). The node-only glue (parsing, signature verification,
// decryption) lives in src/saml/node/validate.ts, which calls `checkAssertion` with the *verified*
// nodes only — never with a node found by searching the unverified document (XSW, SAML Core §5.4).

import { SamlError } from "./errors";

export const NS = {
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
} as const;

export const STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
export const CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const NAMEID_FORMAT_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/** What validateSamlResponse checks against (one SAML connection). */
export interface SamlExpected {
  /** This connection's ACS URL, exactly as published in SP metadata. */
  acsUrl: string;
  spEntityId: string;
  idpEntityId: string;
  /** Trusted IdP signing certificates, PEM or bare base64 DER; several during rotation. */
  idpCertificates: string[];
  /** Pending AuthnRequest IDs of this connection; [] = none. */
  requestIds: string[];
  allowIdpInitiated: boolean;
  /** Default true. false = a signature on the Response alone is accepted (opt-in per connection). */
  wantAssertionsSigned: boolean;
  /** Accept RSA-SHA1 / SHA-1 digests (opt-in, flagged in the admin UI). */
  allowSha1: boolean;
  /** Default 180. */
  clockSkewSec: number;
  /** SP private keys (PEM), old and new during rotation. */
  decryptionKeys: string[];
  /** Cap on the decoded response size in bytes (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
}

export interface SamlValidationInput {
  /** The SAMLResponse form field exactly as posted (base64). */
  samlResponse: string;
  /** Epoch milliseconds. */
  now: number;
  expected: SamlExpected;
}

export interface SamlAssertion {
  id: string;
  issuer: string;
  inResponseTo: string | null;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** Epoch ms: keep the assertion ID in the replay cache at least until then (earliest NotOnOrAfter + clock skew). */
  notOnOrAfter: number;
  attributes: Record<string, string[]>;
}

export type SamlValidationResult =
  | {
      ok: true;
      assertion: SamlAssertion;
      /** SHA-256 (lower-case hex of the DER) of the trusted certificate that verified the response's first
       * checked signature (the Response's when signed, else the Assertion's): which IdP key signs now. */
      signerSha256?: string;
    }
  | { ok: false; code: import("./errors").SamlErrorCode; detail: string };

export const DEFAULT_MAX_BYTES = 256 * 1024;
export const DEFAULT_CLOCK_SKEW_SEC = 180;

// ---------------------------------------------------------------------------------------------
// Minimal DOM surface (satisfied by lib.dom and by @xmldom/xmldom), so this file stays pure.

export interface XNode {
  nodeType: number;
  parentNode: XNode | null;
  childNodes: { length: number; [i: number]: XNode };
  textContent: string | null;
}
export interface XElement extends XNode {
  localName: string | null;
  namespaceURI: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  getAttributeNS(ns: string, name: string): string | null;
}
const ELEMENT_NODE = 1;

export function isEl(n: XNode | null | undefined, ns: string, local: string): n is XElement {
  return !!n && n.nodeType === ELEMENT_NODE && (n as XElement).localName === local && (n as XElement).namespaceURI === ns;
}

export function childElements(parent: XNode): XElement[] {
  const out: XElement[] = [];
  const kids = parent.childNodes;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k && k.nodeType === ELEMENT_NODE) out.push(k as XElement);
  }
  return out;
}

export function children(parent: XNode, ns: string, local: string): XElement[] {
  return childElements(parent).filter((e) => e.localName === local && e.namespaceURI === ns);
}

function atMostOne(parent: XNode, ns: string, local: string, where: string): XElement | null {
  const found = children(parent, ns, local);
  if (found.length > 1) throw new SamlError("malformed_response", `${where} has ${found.length} <${local}> elements`);
  return found[0] ?? null;
}

/** Text of an element as a whole: every text/CDATA descendant, comments and PIs ignored (never the first text node only). */
export function fullText(el: XNode): string {
  let out = "";
  const kids = el.childNodes;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (!k) continue;
    if (k.nodeType === 3 || k.nodeType === 4) out += k.textContent ?? "";
    else if (k.nodeType === ELEMENT_NODE) out += fullText(k);
  }
  return out;
}

// xs:dateTime as SAML Core §1.3.3 requires (UTC, "Z"); an explicit offset is tolerated.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseInstant(value: string, what: string): number {
  const v = value.trim();
  if (!DATE_TIME.test(v)) throw new SamlError("malformed_response", `${what} is not an xs:dateTime`);
  // Date.parse handles at most milliseconds; drop extra fraction digits.
  const ms = Date.parse(v.replace(/(\.\d{3})\d+/, "$1"));
  if (!Number.isFinite(ms)) throw new SamlError("malformed_response", `${what} is not a valid date`);
  return ms;
}

function optionalInstant(el: XElement, attr: string, what: string): number | null {
  const v = el.getAttribute(attr);
  return v === null || v === "" ? null : parseInstant(v, what);
}

/** NotBefore / NotOnOrAfter window with skew (SAML Core §2.5.1.2): valid iff NotBefore - skew <= now < NotOnOrAfter + skew. */
export function checkWindow(now: number, skewMs: number, notBefore: number | null, notOnOrAfter: number | null, what: string) {
  if (notBefore !== null && now + skewMs < notBefore) {
    throw new SamlError("not_yet_valid", `"NotBefore" of ${what} is in the future`);
  }
  if (notOnOrAfter !== null && now - skewMs >= notOnOrAfter) {
    throw new SamlError("expired", `"NotOnOrAfter" of ${what} is in the past`);
  }
}

/** Issuer element check: text must equal the IdP entity ID; Format, if given, must be the entity format (Core §2.2.5). */
export function checkIssuer(issuerEl: XElement | null, expected: string, where: string, required: boolean): string | null {
  if (!issuerEl) {
    if (required) throw new SamlError("issuer_mismatch", `${where} has no <Issuer>`);
    return null;
  }
  const format = issuerEl.getAttribute("Format");
  if (format && format !== NAMEID_FORMAT_ENTITY) {
    throw new SamlError("issuer_mismatch", `"Format" of ${where} <Issuer> is not the entity format`);
  }
  const value = fullText(issuerEl).trim();
  if (value !== expected) throw new SamlError("issuer_mismatch", `<Issuer> of ${where} is not the connection's IdP entity ID`);
  return value;
}

export function statusCodeOf(response: XElement): string | null {
  const status = atMostOne(response, NS.protocol, "Status", "Response");
  if (!status) return null;
  const code = atMostOne(status, NS.protocol, "StatusCode", "Status");
  return code?.getAttribute("Value") ?? null;
}

/**
 * Response-level checks (SAML Core §3.2.2, Bindings §3.5.5.2). `response` is either the node covered by
 * the verified Response signature (`signed` = true) or the unsigned envelope, whose values can only
 * make us reject, never accept.
 */
export function checkResponse(response: XElement, signed: boolean, expected: SamlExpected): { inResponseTo: string | null } {
  if (response.getAttribute("Version") !== "2.0") throw new SamlError("malformed_response", `"Version" of Response is not 2.0`);
  if (!response.getAttribute("ID")) throw new SamlError("malformed_response", `Response has no "ID"`);
  const status = statusCodeOf(response);
  if (status !== STATUS_SUCCESS) {
    throw new SamlError("status_not_success", `Response StatusCode is ${status ? JSON.stringify(status.slice(0, 120)) : "missing"}`);
  }
  // Bindings §3.5.5.2: a signed POST message MUST carry Destination and the receiver MUST check it.
  // When the Response is not signed, Destination is optional (the signed assertion's Recipient is the
  // binding check), but if present it must still match (Core §3.2.2: "If it does not, the response MUST
  // be discarded").
  const destination = response.getAttribute("Destination");
  if (destination === null || destination === "") {
    if (signed) throw new SamlError("destination_mismatch", `signed Response has no "Destination" (Bindings §3.5.5.2)`);
  } else if (destination !== expected.acsUrl) {
    throw new SamlError("destination_mismatch", `"Destination" of Response is not this connection's ACS URL`);
  }
  checkIssuer(atMostOne(response, NS.assertion, "Issuer", "Response"), expected.idpEntityId, "Response", false);
  const irt = response.getAttribute("InResponseTo");
  return { inResponseTo: irt === null || irt === "" ? null : irt };
}

/** Convex field names: printable ASCII, not starting with "$", bounded. Other attribute names are dropped. */
function isCarriableName(name: string): boolean {
  return name.length > 0 && name.length <= 1024 && !name.startsWith("$") && /^[\x20-\x7e]+$/.test(name);
}

/**
 * Assertion checks on the verified assertion node (SAML Core §2.3–2.7, Profiles §4.1.4.2–4.1.4.3).
 * `responseInResponseTo` is the Response's InResponseTo, or null; `responseSigned` says whether it was
 * covered by a verified signature (an unsigned InResponseTo must never turn an unsolicited assertion
 * into a solicited one).
 */
export function checkAssertion(
  assertion: XElement,
  ctx: { now: number; expected: SamlExpected; responseInResponseTo: string | null; responseSigned: boolean },
): SamlAssertion {
  const { now, expected } = ctx;
  const skewMs = Math.max(0, expected.clockSkewSec) * 1000;
  if (!isEl(assertion, NS.assertion, "Assertion")) throw new SamlError("malformed_response", "verified node is not an Assertion");
  if (assertion.getAttribute("Version") !== "2.0") throw new SamlError("malformed_response", `"Version" of Assertion is not 2.0`);
  const id = assertion.getAttribute("ID");
  if (!id) throw new SamlError("malformed_response", `Assertion has no "ID"`);
  parseInstant(assertion.getAttribute("IssueInstant") ?? "", `"IssueInstant" of Assertion`);

  const issuer = checkIssuer(atMostOne(assertion, NS.assertion, "Issuer", "Assertion"), expected.idpEntityId, "Assertion", true)!;

  // Subject and NameID (Core §2.4.1; Profiles §4.1.4.2: the assertion MUST contain a Subject).
  const subject = atMostOne(assertion, NS.assertion, "Subject", "Assertion");
  if (!subject) throw new SamlError("subject_missing", "Assertion has no <Subject>");
  const nameIdEl = atMostOne(subject, NS.assertion, "NameID", "Subject");
  if (!nameIdEl) {
    const other = children(subject, NS.assertion, "EncryptedID").length ? "EncryptedID" : children(subject, NS.assertion, "BaseID").length ? "BaseID" : null;
    throw new SamlError("subject_missing", other ? `Subject carries <${other}>, which is not accepted` : "Subject has no <NameID>");
  }
  if (childElements(nameIdEl).length > 0) throw new SamlError("malformed_response", "<NameID> contains elements");
  // The whole text content: a comment inside the value (user@evil.com<!---->.example.com) cannot shorten it.
  const nameId = fullText(nameIdEl).trim();
  if (!nameId) throw new SamlError("subject_missing", "<NameID> is empty");
  const nameIdFormat = nameIdEl.getAttribute("Format") || null;

  // Bearer SubjectConfirmation (Profiles §4.1.4.2): Recipient == ACS URL, NotOnOrAfter required,
  // InResponseTo == request ID when solicited. The first bearer confirmation that passes is used;
  // if none passes, the first one's failure is reported.
  const bearers = children(subject, NS.assertion, "SubjectConfirmation").filter((c) => c.getAttribute("Method") === CM_BEARER);
  if (bearers.length === 0) throw new SamlError("subject_confirmation_missing", "Subject has no bearer <SubjectConfirmation>");
  let confirmed: { notOnOrAfter: number; inResponseTo: string | null } | null = null;
  let firstFailure: SamlError | null = null;
  for (const sc of bearers) {
    try {
      const data = atMostOne(sc, NS.assertion, "SubjectConfirmationData", "SubjectConfirmation");
      if (!data) throw new SamlError("subject_confirmation_missing", "bearer <SubjectConfirmation> has no <SubjectConfirmationData>");
      const recipient = data.getAttribute("Recipient");
      if (!recipient) throw new SamlError("recipient_mismatch", `"Recipient" of SubjectConfirmationData is missing`);
      if (recipient !== expected.acsUrl) throw new SamlError("recipient_mismatch", `"Recipient" of SubjectConfirmationData is not this connection's ACS URL`);
      const noa = optionalInstant(data, "NotOnOrAfter", `"NotOnOrAfter" of SubjectConfirmationData`);
      if (noa === null) throw new SamlError("subject_confirmation_missing", `SubjectConfirmationData has no "NotOnOrAfter"`);
      const nb = optionalInstant(data, "NotBefore", `"NotBefore" of SubjectConfirmationData`);
      checkWindow(now, skewMs, nb, noa, "SubjectConfirmationData");
      const irt = data.getAttribute("InResponseTo");
      confirmed = { notOnOrAfter: noa, inResponseTo: irt === null || irt === "" ? null : irt };
      break;
    } catch (e) {
      if (!(e instanceof SamlError)) throw e;
      firstFailure ??= e;
    }
  }
  if (!confirmed) throw firstFailure!;

  // InResponseTo (Profiles §4.1.4.3). Only signed values count.
  const fromResponse = ctx.responseInResponseTo;
  if (fromResponse !== null && confirmed.inResponseTo !== null && fromResponse !== confirmed.inResponseTo) {
    throw new SamlError("in_response_to_mismatch", "InResponseTo of Response and of SubjectConfirmationData differ");
  }
  let inResponseTo = confirmed.inResponseTo;
  if (inResponseTo === null && fromResponse !== null) {
    if (!ctx.responseSigned) {
      throw new SamlError("in_response_to_mismatch", "InResponseTo is only on the unsigned Response, not in the signed assertion");
    }
    inResponseTo = fromResponse;
  }
  if (inResponseTo !== null) {
    if (!expected.requestIds.includes(inResponseTo)) {
      throw new SamlError("in_response_to_mismatch", "InResponseTo is not a pending AuthnRequest of this connection");
    }
  } else if (!expected.allowIdpInitiated) {
    throw new SamlError("unsolicited_response", "no InResponseTo and IdP-initiated login is not enabled for this connection");
  }

  // Conditions (Core §2.5): at most one; window with skew; every AudienceRestriction must name us.
  const conditions = atMostOne(assertion, NS.assertion, "Conditions", "Assertion");
  if (!conditions) throw new SamlError("audience_mismatch", "Assertion has no <Conditions> (no AudienceRestriction)");
  const cNb = optionalInstant(conditions, "NotBefore", `"NotBefore" of Conditions`);
  const cNoa = optionalInstant(conditions, "NotOnOrAfter", `"NotOnOrAfter" of Conditions`);
  checkWindow(now, skewMs, cNb, cNoa, "Conditions");
  let restrictions = 0;
  for (const c of childElements(conditions)) {
    if (c.namespaceURI === NS.assertion && c.localName === "AudienceRestriction") {
      restrictions++;
      const audiences = children(c, NS.assertion, "Audience").map((a) => fullText(a).trim());
      if (!audiences.includes(expected.spEntityId)) {
        throw new SamlError("audience_mismatch", "an AudienceRestriction does not name this connection's SP entity ID");
      }
    } else if (c.namespaceURI === NS.assertion && (c.localName === "OneTimeUse" || c.localName === "ProxyRestriction")) {
      // OneTimeUse is what the replay cache enforces anyway; ProxyRestriction does not concern a final SP.
    } else {
      // Core §2.5.1: a condition that is not understood makes the assertion Indeterminate.
      throw new SamlError("malformed_response", `unsupported condition <${c.localName ?? "?"}> in Conditions`);
    }
  }
  if (restrictions === 0) throw new SamlError("audience_mismatch", "Conditions has no AudienceRestriction");

  // AuthnStatement (Profiles §4.1.4.2: at least one).
  const authn = children(assertion, NS.assertion, "AuthnStatement");
  if (authn.length === 0) throw new SamlError("malformed_response", "Assertion has no <AuthnStatement>");
  const first = authn[0]!;
  const sessionIndex = first.getAttribute("SessionIndex") || null;
  const sessionNoa = optionalInstant(first, "SessionNotOnOrAfter", `"SessionNotOnOrAfter" of AuthnStatement`);
  if (sessionNoa !== null) checkWindow(now, skewMs, null, sessionNoa, "AuthnStatement session");

  // Attributes: every value as its whole text, xsi:nil values skipped, repeated names merged.
  const attrs = new Map<string, string[]>();
  for (const statement of children(assertion, NS.assertion, "AttributeStatement")) {
    for (const attr of children(statement, NS.assertion, "Attribute")) {
      const name = attr.getAttribute("Name");
      if (!name || !isCarriableName(name)) continue;
      const values = attrs.get(name) ?? [];
      for (const v of children(attr, NS.assertion, "AttributeValue")) {
        const nil = v.getAttributeNS(NS.xsi, "nil");
        if (nil === "true" || nil === "1") continue;
        values.push(fullText(v));
      }
      attrs.set(name, values);
    }
  }

  // Replay-cache deadline: the last instant this validator would still accept the assertion (the
  // earliest NotOnOrAfter plus the skew), so an ID kept until then can never be replayed.
  const notOnOrAfter = (cNoa === null ? confirmed.notOnOrAfter : Math.min(cNoa, confirmed.notOnOrAfter)) + skewMs;
  return {
    id,
    issuer,
    inResponseTo,
    nameId,
    nameIdFormat,
    sessionIndex,
    notOnOrAfter,
    // fromEntries defines own properties: an attribute named "__proto__" cannot touch the prototype.
    attributes: Object.fromEntries(attrs),
  };
}
