"use node";
// HTTP-POST binding logout messages carry an enveloped XML signature (SAML Bindings §3.5.4): verifying it needs
// xml-crypto, hence this "use node" action. We return the XML *as signed* (xml-crypto's signed reference), and the
// caller parses only that, so nothing outside the signature can be read (no wrapping).
import { v } from "convex/values";
import { X509Certificate } from "node:crypto";
import { DOMParser } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import { internalAction } from "../../component/_generated/server";

const DS = "http://www.w3.org/2000/09/xmldsig#";
const SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
const STRONG_SIG = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
]);
const STRONG_DIGEST = new Set([
  "http://www.w3.org/2001/04/xmlenc#sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512",
]);
const SHA1_SIG = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1_DIGEST = "http://www.w3.org/2000/09/xmldsig#sha1";

type Result = { ok: true; xml: string } | { ok: false; code: string; detail: string };
const fail = (code: string, detail: string): Result => ({ ok: false, code, detail });

type El = { localName: string; namespaceURI: string | null; getAttribute(n: string): string | null; childNodes: ArrayLike<{ nodeType: number }> };
const kids = (el: El, ns: string, local: string): El[] =>
  Array.from(el.childNodes as ArrayLike<El & { nodeType: number }>).filter((c) => c.nodeType === 1 && c.namespaceURI === ns && c.localName === local);

function verifyPostLogout(b64: string, certs: string[], allowSha1: boolean): Result {
  if (b64.length > 96_000) return fail("slo_malformed", "logout message over the size cap");
  let xml: string;
  try {
    xml = Buffer.from(b64, "base64").toString("utf8");
  } catch {
    return fail("slo_malformed", "not base64");
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return fail("slo_malformed", "a DTD is not allowed");
  let root: El;
  try {
    let bad = false;
    const doc = new DOMParser({ onError: (l: string) => void (l !== "warning" && (bad = true)) } as never).parseFromString(xml, "text/xml");
    if (bad || !doc.documentElement) return fail("slo_malformed", "not well-formed XML");
    root = doc.documentElement as unknown as El;
  } catch {
    return fail("slo_malformed", "not well-formed XML");
  }
  if (root.namespaceURI !== SAMLP || !["LogoutRequest", "LogoutResponse"].includes(root.localName)) {
    return fail("slo_malformed", "not a LogoutRequest or LogoutResponse");
  }
  const id = root.getAttribute("ID");
  const sigs = kids(root, DS, "Signature");
  if (sigs.length === 0) return fail("slo_unsigned", "the message is not signed");
  if (sigs.length > 1 || !id) return fail("slo_malformed", "exactly one Signature and an ID are required");
  const sig = sigs[0]!;
  const signedInfo = kids(sig, DS, "SignedInfo")[0];
  const refs = signedInfo ? kids(signedInfo, DS, "Reference") : [];
  if (!signedInfo || refs.length !== 1 || refs[0]!.getAttribute("URI") !== `#${id}`) {
    return fail("slo_bad_signature", "the signature must reference the message element itself");
  }
  const sigAlg = kids(signedInfo, DS, "SignatureMethod")[0]?.getAttribute("Algorithm") ?? "";
  const digAlg = kids(refs[0]!, DS, "DigestMethod")[0]?.getAttribute("Algorithm") ?? "";
  const sigOk = STRONG_SIG.has(sigAlg) || (allowSha1 && sigAlg === SHA1_SIG);
  const digOk = STRONG_DIGEST.has(digAlg) || (allowSha1 && digAlg === SHA1_DIGEST);
  if (!sigOk || !digOk) return fail("slo_bad_signature", "signature or digest algorithm not allowed");
  for (const cert of certs) {
    const pem = new X509Certificate(Buffer.from(cert, "base64")).toString();
    const verifier = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(sig as never);
      if (verifier.checkSignature(xml)) {
        const signed = verifier.getSignedReferences();
        if (signed.length === 1 && signed[0]) return { ok: true, xml: signed[0] };
      }
    } catch {
      // try the next certificate
    }
  }
  return fail("slo_bad_signature", "the XML signature does not verify with a trusted certificate");
}

export const verifyPostLogoutMessage = internalAction({
  args: { message: v.string(), certificates: v.array(v.string()), allowSha1: v.boolean() },
  returns: v.union(v.object({ ok: v.literal(true), xml: v.string() }), v.object({ ok: v.literal(false), code: v.string(), detail: v.string() })),
  handler: async (_ctx, a) => verifyPostLogout(a.message, a.certificates, a.allowSha1),
});
