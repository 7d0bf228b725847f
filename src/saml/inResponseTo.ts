// Which AuthnRequest an (as yet unverified) SAML response claims to answer, read only to find the pending request
// by index when the IdP dropped RelayState. The claim is not trusted: the validator still requires the signed
// InResponseTo to equal the request found, and the ACS mutation consumes that request once. A linear scan of
// two start tags, not a DOM parse: this runs before any size, depth or signature check.
import { b64ToBytes, fromUtf8 } from "./encoding";

const ROOT_START_TAG = /^\s*(?:<\?xml[^>]{0,200}\?>\s*)?(?:<!--[\s\S]{0,2000}?-->\s*)*<(?:[A-Za-z_][\w.-]{0,40}:)?Response\b([^>]{0,4000})>/;
const CONFIRMATION_DATA = /<(?:[A-Za-z_][\w.-]{0,40}:)?SubjectConfirmationData\b([^>]{0,4000})>/;
const IN_RESPONSE_TO = /\sInResponseTo\s*=\s*(?:"([^"<]{1,256})"|'([^'<]{1,256})')/;

/** The InResponseTo of the Response element, else of a SubjectConfirmationData; undefined when none or unreadable. */
export function claimedInResponseTo(samlResponseB64: string, maxBytes: number): string | undefined {
  let xml: string;
  try {
    if (samlResponseB64.length > maxBytes) return undefined;
    xml = fromUtf8(b64ToBytes(samlResponseB64));
  } catch {
    return undefined;
  }
  for (const tag of [ROOT_START_TAG.exec(xml)?.[1], CONFIRMATION_DATA.exec(xml)?.[1]]) {
    const m = tag === undefined ? null : IN_RESPONSE_TO.exec(tag);
    if (m) return m[1] ?? m[2];
  }
  return undefined;
}
