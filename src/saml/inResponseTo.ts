// Which AuthnRequest an (as yet unverified) SAML response claims to answer, read only to find the pending request
// by index when the IdP dropped RelayState. The claim is not trusted: the validator still requires the signed
// InResponseTo to equal the request found, and the ACS mutation consumes that request once.
import { b64ToBytes, fromUtf8 } from "./encoding";
import { NS, descendants, parseXml } from "./xml";

/** The InResponseTo of the Response element, else of a SubjectConfirmationData; undefined when none or unreadable. */
export function claimedInResponseTo(samlResponseB64: string, maxBytes: number): string | undefined {
  try {
    const root = parseXml(fromUtf8(b64ToBytes(samlResponseB64)), maxBytes);
    const fromRoot = root.getAttribute("InResponseTo");
    if (fromRoot) return fromRoot.slice(0, 256);
    const confirmed = descendants(root, NS.saml, "SubjectConfirmationData").map((el) => el.getAttribute("InResponseTo")).find(Boolean);
    return confirmed ? confirmed.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}
