// SP metadata out (SAML Metadata §2.4.4 SPSSODescriptor), one document per connection.
// Element order follows the schema: KeyDescriptor*, SingleLogoutService*, NameIDFormat*, AssertionConsumerService+.
import { BINDINGS, NS } from "./xml";
import { xmlEscape as x } from "./encoding";

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  /** Present only when SLO is enabled for the connection. */
  sloUrl?: string;
  nameIdFormats: string[];
  /** base64 DER; published when AuthnRequests or logout messages are signed. */
  signingCertificates: string[];
  /** base64 DER; current and next key during rotation, so the IdP can move to the new one. */
  encryptionCertificates: string[];
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
}

function keyDescriptor(use: "signing" | "encryption", cert: string): string {
  const enc =
    use === "encryption"
      ? `<md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>` +
        `<md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/>` +
        `<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>` +
        `<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>`
      : "";
  return (
    `<md:KeyDescriptor use="${use}"><ds:KeyInfo xmlns:ds="${NS.ds}"><ds:X509Data>` +
    `<ds:X509Certificate>${x(cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${enc}</md:KeyDescriptor>`
  );
}

export function buildSpMetadata(m: SpMetadataInput): string {
  const parts: string[] = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  parts.push(`<md:EntityDescriptor xmlns:md="${NS.md}" entityID="${x(m.entityId)}">`);
  parts.push(
    `<md:SPSSODescriptor AuthnRequestsSigned="${m.authnRequestsSigned}" WantAssertionsSigned="${m.wantAssertionsSigned}" ` +
      `protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`,
  );
  for (const c of m.signingCertificates) parts.push(keyDescriptor("signing", c));
  for (const c of m.encryptionCertificates) parts.push(keyDescriptor("encryption", c));
  if (m.sloUrl) {
    parts.push(`<md:SingleLogoutService Binding="${BINDINGS.redirect}" Location="${x(m.sloUrl)}"/>`);
    parts.push(`<md:SingleLogoutService Binding="${BINDINGS.post}" Location="${x(m.sloUrl)}"/>`);
  }
  for (const f of m.nameIdFormats) parts.push(`<md:NameIDFormat>${x(f)}</md:NameIDFormat>`);
  parts.push(
    `<md:AssertionConsumerService Binding="${BINDINGS.post}" Location="${x(m.acsUrl)}" index="0" isDefault="true"/>`,
  );
  parts.push(`</md:SPSSODescriptor></md:EntityDescriptor>`);
  return parts.join("\n");
}
