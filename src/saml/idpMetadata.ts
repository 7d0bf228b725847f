// IdP metadata in: SAML Metadata §2.4.3 IDPSSODescriptor → the `idp` part of a connection config.
// The document is not signature-checked here: it comes from the admin (upload) or from an https URL they gave.
import { BINDINGS, NS, XmlError, childElements, descendants, firstChild, parseXml, text, type XElement } from "./xml";
import { normalizeCertificate } from "./x509";

export const MAX_METADATA_BYTES = 1_048_576;

export interface IdpMetadata {
  entityId: string;
  ssoUrls: { redirect?: string; post?: string };
  sloUrls?: { redirect?: string; post?: string };
  /** base64 DER, de-duplicated, in document order; use="signing" or no use attribute. */
  signingCertificates: string[];
  nameIdFormats: string[];
  wantAuthnRequestsSigned: boolean;
}

export class MetadataError extends Error {
  constructor(
    readonly code:
      | "metadata_xml_invalid"
      | "metadata_dtd_refused"
      | "metadata_no_idp"
      | "metadata_ambiguous"
      | "metadata_no_sso"
      | "metadata_no_certificate",
    message: string,
  ) {
    super(message);
  }
}

function endpointUrls(sso: XElement, local: string): { redirect?: string; post?: string } {
  const out: { redirect?: string; post?: string } = {};
  for (const e of childElements(sso, NS.md, local)) {
    const binding = e.getAttribute("Binding");
    const loc = e.getAttribute("Location")?.trim();
    if (!loc) continue;
    if (binding === BINDINGS.redirect && out.redirect === undefined) out.redirect = loc;
    if (binding === BINDINGS.post && out.post === undefined) out.post = loc;
  }
  return out;
}

/**
 * Parse IdP metadata (an EntityDescriptor, or an EntitiesDescriptor with one IdP — or pick one by entityId).
 * Throws MetadataError with a closed-set code.
 */
export function parseIdpMetadata(xml: string, opts: { entityId?: string } = {}): IdpMetadata {
  let root: XElement;
  try {
    root = parseXml(xml, MAX_METADATA_BYTES);
  } catch (e) {
    if (e instanceof XmlError && e.code === "xml_dtd_refused") throw new MetadataError("metadata_dtd_refused", e.message);
    throw new MetadataError("metadata_xml_invalid", e instanceof Error ? e.message : "invalid XML");
  }
  const entities: XElement[] =
    root.namespaceURI === NS.md && root.localName === "EntityDescriptor"
      ? [root]
      : root.namespaceURI === NS.md && root.localName === "EntitiesDescriptor"
        ? descendants(root, NS.md, "EntityDescriptor")
        : [];
  const idps = entities.filter((e) => firstChild(e, NS.md, "IDPSSODescriptor") !== undefined);
  let entity: XElement | undefined;
  if (opts.entityId !== undefined) entity = idps.find((e) => e.getAttribute("entityID") === opts.entityId);
  else if (idps.length > 1) {
    throw new MetadataError("metadata_ambiguous", `metadata describes ${idps.length} IdPs; give the entity ID to use`);
  } else entity = idps[0];
  if (!entity) throw new MetadataError("metadata_no_idp", "no EntityDescriptor with an IDPSSODescriptor");
  const entityId = entity.getAttribute("entityID")?.trim();
  if (!entityId) throw new MetadataError("metadata_no_idp", "EntityDescriptor has no entityID");
  const sso = firstChild(entity, NS.md, "IDPSSODescriptor")!;
  const proto = sso.getAttribute("protocolSupportEnumeration") ?? "";
  if (!proto.split(/\s+/).includes("urn:oasis:names:tc:SAML:2.0:protocol")) {
    throw new MetadataError("metadata_no_idp", "IDPSSODescriptor does not support the SAML 2.0 protocol");
  }

  const ssoUrls = endpointUrls(sso, "SingleSignOnService");
  if (!ssoUrls.redirect && !ssoUrls.post) {
    throw new MetadataError("metadata_no_sso", "no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding");
  }
  const sloUrls = endpointUrls(sso, "SingleLogoutService");

  const certs: string[] = [];
  for (const kd of childElements(sso, NS.md, "KeyDescriptor")) {
    const use = kd.getAttribute("use");
    if (use !== null && use !== "signing") continue;
    for (const c of descendants(kd, NS.ds, "X509Certificate")) {
      let der: string;
      try {
        der = normalizeCertificate(text(c));
      } catch {
        throw new MetadataError("metadata_no_certificate", "an X509Certificate in a signing KeyDescriptor is not valid");
      }
      if (!certs.includes(der)) certs.push(der);
    }
  }
  if (certs.length === 0) throw new MetadataError("metadata_no_certificate", "no signing certificate in IDPSSODescriptor");

  const nameIdFormats = childElements(sso, NS.md, "NameIDFormat")
    .map((e) => text(e))
    .filter((s) => s !== "");

  const out: IdpMetadata = {
    entityId,
    ssoUrls,
    signingCertificates: certs,
    nameIdFormats: [...new Set(nameIdFormats)],
    wantAuthnRequestsSigned: sso.getAttribute("WantAuthnRequestsSigned") === "true",
  };
  if (sloUrls.redirect || sloUrls.post) out.sloUrls = sloUrls;
  return out;
}
