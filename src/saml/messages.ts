// Outbound protocol messages (AuthnRequest, LogoutRequest, LogoutResponse) and the inbound logout messages,
// SAML Core §3.4 and §3.7. Built as strings from escaped values; parsed with the DTD-refusing parser.
import { xmlEscape as x, samlInstant } from "./encoding";
import { BINDINGS, NS, firstChild, childElements, parseXml, text, XmlError } from "./xml";

export interface AuthnRequestInput {
  id: string;
  now: Date | number;
  destination: string;
  acsUrl: string;
  spEntityId: string;
  nameIdFormat?: string | undefined;
  forceAuthn?: boolean | undefined;
  /** Sent as <saml:Subject><saml:NameID> (SAML Core §3.4.1): the IdP may pre-fill its login form with it. */
  loginHint?: string | undefined;
}

export function buildAuthnRequest(r: AuthnRequestInput): string {
  const force = r.forceAuthn ? ` ForceAuthn="true"` : "";
  const subject = r.loginHint
    ? `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${x(r.loginHint)}</saml:NameID></saml:Subject>`
    : "";
  const policy = r.nameIdFormat
    ? `<samlp:NameIDPolicy Format="${x(r.nameIdFormat)}" AllowCreate="true"/>`
    : `<samlp:NameIDPolicy AllowCreate="true"/>`;
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${x(r.id)}" Version="2.0" ` +
    `IssueInstant="${samlInstant(r.now)}" Destination="${x(r.destination)}" ` +
    `AssertionConsumerServiceURL="${x(r.acsUrl)}" ProtocolBinding="${BINDINGS.post}"${force}>` +
    `<saml:Issuer>${x(r.spEntityId)}</saml:Issuer>${subject}${policy}</samlp:AuthnRequest>`
  );
}

export interface LogoutRequestInput {
  id: string;
  now: Date | number;
  destination: string;
  issuer: string;
  nameId: string;
  nameIdFormat?: string | null | undefined;
  sessionIndex?: string | null | undefined;
}

export function buildLogoutRequest(r: LogoutRequestInput): string {
  const fmt = r.nameIdFormat ? ` Format="${x(r.nameIdFormat)}"` : "";
  const si = r.sessionIndex ? `<samlp:SessionIndex>${x(r.sessionIndex)}</samlp:SessionIndex>` : "";
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${x(r.id)}" Version="2.0" ` +
    `IssueInstant="${samlInstant(r.now)}" Destination="${x(r.destination)}">` +
    `<saml:Issuer>${x(r.issuer)}</saml:Issuer><saml:NameID${fmt}>${x(r.nameId)}</saml:NameID>${si}` +
    `</samlp:LogoutRequest>`
  );
}

export const STATUS = {
  success: "urn:oasis:names:tc:SAML:2.0:status:Success",
  requester: "urn:oasis:names:tc:SAML:2.0:status:Requester",
  responder: "urn:oasis:names:tc:SAML:2.0:status:Responder",
} as const;

export function buildLogoutResponse(r: {
  id: string;
  now: Date | number;
  destination: string;
  issuer: string;
  inResponseTo: string;
  status: string;
}): string {
  return (
    `<samlp:LogoutResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${x(r.id)}" Version="2.0" ` +
    `IssueInstant="${samlInstant(r.now)}" Destination="${x(r.destination)}" InResponseTo="${x(r.inResponseTo)}">` +
    `<saml:Issuer>${x(r.issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${x(r.status)}"/></samlp:Status>` +
    `</samlp:LogoutResponse>`
  );
}

export class MessageError extends Error {
  constructor(
    readonly code: "slo_malformed" | "slo_dtd_refused",
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedLogoutRequest {
  kind: "LogoutRequest";
  id: string;
  issuer: string;
  destination: string | null;
  issueInstant: number;
  notOnOrAfter: number | null;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndexes: string[];
}

export interface ParsedLogoutResponse {
  kind: "LogoutResponse";
  id: string;
  issuer: string;
  destination: string | null;
  inResponseTo: string | null;
  status: string;
}

function parseInstant(s: string | null, field: string): number {
  const t = s ? Date.parse(s) : NaN;
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) || Number.isNaN(t)) {
    throw new MessageError("slo_malformed", `"${field}" is not a UTC dateTime`);
  }
  return t;
}

/** Parse an inbound LogoutRequest / LogoutResponse (signature checked by the caller, per binding). */
export function parseLogoutMessage(xml: string, maxBytes = 65_536): ParsedLogoutRequest | ParsedLogoutResponse {
  let root;
  try {
    root = parseXml(xml, maxBytes);
  } catch (e) {
    if (e instanceof XmlError && e.code === "xml_dtd_refused") throw new MessageError("slo_dtd_refused", e.message);
    throw new MessageError("slo_malformed", "logout message is not well-formed XML");
  }
  if (root.namespaceURI !== NS.samlp) throw new MessageError("slo_malformed", "not a SAML protocol message");
  const id = root.getAttribute("ID");
  if (!id) throw new MessageError("slo_malformed", `"ID" is missing`);
  const issuers = childElements(root, NS.saml, "Issuer");
  if (issuers.length !== 1) throw new MessageError("slo_malformed", "exactly one Issuer is required");
  const issuer = text(issuers[0]);
  if (root.getAttribute("Version") !== "2.0") throw new MessageError("slo_malformed", `"Version" must be 2.0`);
  if (root.localName === "LogoutRequest") {
    const nameIds = childElements(root, NS.saml, "NameID");
    if (nameIds.length !== 1) {
      throw new MessageError("slo_malformed", "exactly one NameID is required (EncryptedID/BaseID not supported)");
    }
    const nameId = text(nameIds[0]);
    if (!nameId) throw new MessageError("slo_malformed", "NameID is empty");
    const noa = root.getAttribute("NotOnOrAfter");
    return {
      kind: "LogoutRequest",
      id,
      issuer,
      destination: root.getAttribute("Destination"),
      issueInstant: parseInstant(root.getAttribute("IssueInstant"), "IssueInstant"),
      notOnOrAfter: noa ? parseInstant(noa, "NotOnOrAfter") : null,
      nameId,
      nameIdFormat: nameIds[0]!.getAttribute("Format"),
      sessionIndexes: childElements(root, NS.samlp, "SessionIndex").map((e) => text(e)),
    };
  }
  if (root.localName === "LogoutResponse") {
    const status = firstChild(root, NS.samlp, "Status");
    const code = status ? firstChild(status, NS.samlp, "StatusCode") : undefined;
    return {
      kind: "LogoutResponse",
      id,
      issuer,
      destination: root.getAttribute("Destination"),
      inResponseTo: root.getAttribute("InResponseTo"),
      status: code?.getAttribute("Value") ?? "",
    };
  }
  throw new MessageError("slo_malformed", "not a LogoutRequest or LogoutResponse");
}
