// HTTP-Redirect binding (SAML Bindings §3.4): DEFLATE (raw, RFC 1951) + base64 + URL-encode, and the detached
// query signature of §3.4.4.1 over "SAMLRequest=…&RelayState=…&SigAlg=…" exactly as sent. (HTTP-POST forms are
// rendered by src/component/lib/pages.ts autoPostPage.)
import { b64ToBytes, bytesToB64, deflateRaw, fromUtf8, inflateRaw, utf8 } from "./encoding";
import { RSA_SIGN_ALG } from "./x509";
import { parseCertificate } from "./x509";

export const SIG_ALG_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SIG_ALGS: Record<string, "SHA-256" | "SHA-384" | "SHA-512"> = {
  [SIG_ALG_RSA_SHA256]: "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": "SHA-384",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "SHA-512",
};

export type MessageParam = "SAMLRequest" | "SAMLResponse";

/**
 * The URL the browser is redirected to. With `signingKey`, adds SigAlg + Signature (RSA-SHA256).
 * The destination may already carry a query (some IdPs put a tenant in it): we append with "&".
 */
export async function buildRedirectUrl(opts: {
  destination: string;
  param: MessageParam;
  xml: string;
  relayState?: string | undefined;
  signingKey?: CryptoKey | undefined;
}): Promise<string> {
  const payload = bytesToB64(await deflateRaw(utf8(opts.xml)));
  let q = `${opts.param}=${encodeURIComponent(payload)}`;
  if (opts.relayState !== undefined) q += `&RelayState=${encodeURIComponent(opts.relayState)}`;
  if (opts.signingKey) {
    q += `&SigAlg=${encodeURIComponent(SIG_ALG_RSA_SHA256)}`;
    const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", opts.signingKey, utf8(q) as BufferSource));
    q += `&Signature=${encodeURIComponent(bytesToB64(sig))}`;
  }
  return opts.destination + (opts.destination.includes("?") ? "&" : "?") + q;
}

export class RedirectBindingError extends Error {
  constructor(
    readonly code: "redirect_malformed" | "redirect_unsigned" | "redirect_bad_signature" | "redirect_sigalg_refused",
    message: string,
  ) {
    super(message);
  }
}

/** Raw (still percent-encoded) value of the first occurrence of each parameter, as the spec requires. */
function rawParams(rawQuery: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of rawQuery.replace(/^\?/, "").split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const k = part.slice(0, eq);
    if (m.has(k)) throw new RedirectBindingError("redirect_malformed", `parameter "${k}" is repeated`);
    m.set(k, part.slice(eq + 1));
  }
  return m;
}

function dec(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, " "));
  } catch {
    throw new RedirectBindingError("redirect_malformed", "bad percent-encoding");
  }
}

export interface DecodedRedirect {
  param: MessageParam;
  xml: string;
  relayState: string | null;
  signed: boolean;
}

/** Decode (and inflate, capped) a Redirect-binding message without checking a signature. */
export async function decodeRedirect(rawQuery: string, maxBytes = 65_536): Promise<DecodedRedirect & { raw: Map<string, string> }> {
  const raw = rawParams(rawQuery);
  const param: MessageParam | null = raw.has("SAMLRequest") ? "SAMLRequest" : raw.has("SAMLResponse") ? "SAMLResponse" : null;
  if (!param || (raw.has("SAMLRequest") && raw.has("SAMLResponse"))) {
    throw new RedirectBindingError("redirect_malformed", "exactly one of SAMLRequest / SAMLResponse is required");
  }
  let xml: string;
  try {
    xml = fromUtf8(await inflateRaw(b64ToBytes(dec(raw.get(param)!)), maxBytes));
  } catch {
    throw new RedirectBindingError("redirect_malformed", `${param} is not deflated base64 (or is too large)`);
  }
  const rs = raw.get("RelayState");
  return { param, xml, relayState: rs === undefined ? null : dec(rs), signed: raw.has("Signature"), raw };
}

/**
 * Decode and verify a signed Redirect-binding message against any of the trusted certificates.
 * Unsigned messages are refused (SLO accepts signed messages only).
 */
export async function verifyRedirect(
  rawQuery: string,
  trustedCerts: readonly string[],
  opts: { allowSha1?: boolean; maxBytes?: number } = {},
): Promise<DecodedRedirect> {
  const d = await decodeRedirect(rawQuery, opts.maxBytes);
  const sigAlgRaw = d.raw.get("SigAlg");
  const sigRaw = d.raw.get("Signature");
  if (sigAlgRaw === undefined || sigRaw === undefined) {
    throw new RedirectBindingError("redirect_unsigned", "the message is not signed");
  }
  const sigAlg = dec(sigAlgRaw);
  let hash = SIG_ALGS[sigAlg] as "SHA-256" | "SHA-384" | "SHA-512" | "SHA-1" | undefined;
  if (!hash && opts.allowSha1 && sigAlg === "http://www.w3.org/2000/09/xmldsig#rsa-sha1") hash = "SHA-1";
  if (!hash) throw new RedirectBindingError("redirect_sigalg_refused", `SigAlg ${JSON.stringify(sigAlg.slice(0, 100))} is not allowed`);
  let octets = `${d.param}=${d.raw.get(d.param)}`;
  if (d.raw.has("RelayState")) octets += `&RelayState=${d.raw.get("RelayState")}`;
  octets += `&SigAlg=${sigAlgRaw}`;
  let sig: Uint8Array;
  try {
    sig = b64ToBytes(dec(sigRaw));
  } catch {
    throw new RedirectBindingError("redirect_malformed", "Signature is not base64");
  }
  for (const cert of trustedCerts) {
    const info = await parseCertificate(cert);
    const key = await crypto.subtle.importKey("spki", info.spki as BufferSource, { ...RSA_SIGN_ALG, hash }, false, ["verify"]);
    if (await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig as BufferSource, utf8(octets) as BufferSource)) {
      return { param: d.param, xml: d.xml, relayState: d.relayState, signed: true };
    }
  }
  throw new RedirectBindingError("redirect_bad_signature", "the query signature does not verify with a trusted certificate");
}
