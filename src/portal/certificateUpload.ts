// The IT admin's "next IdP signing certificate", pasted or uploaded in the portal (pure, Web APIs only).
// One PEM certificate or bare base64 DER, nothing else: private keys, XML (a DTD included), several certificates,
// an expired certificate, a short RSA key (the response validator refuses those, so trusting one would break every
// sign-in) and one already trusted are refused with a message that names the field. SAML trusts IdP certificates
// by pinning (SAML Metadata §2.4.1.1 KeyDescriptor), so there is no chain to check.
import { parseCertificate, RSA_SIGN_ALG, type CertInfo } from "../saml/x509";

/** A PEM certificate is ~1-3 KiB; anything much larger is not one. */
export const CERTIFICATE_MAX_CHARS = 16 * 1024;

export type UploadField = "certificate" | "certificateFile";

export type CertificateUpload = { ok: true; certificate: string; info: CertInfo } | { ok: false; field: UploadField; message: string };

const LABEL: Record<UploadField, string> = { certificate: "Certificate", certificateFile: "Certificate file" };

/** RSA modulus length of a SubjectPublicKeyInfo, or null when the key is not RSA. */
async function rsaBits(spki: Uint8Array): Promise<number | null> {
  try {
    const key = await crypto.subtle.importKey("spki", spki as BufferSource, RSA_SIGN_ALG, true, ["verify"]);
    return (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  } catch {
    return null;
  }
}

export async function readNextCertificate(
  text: string,
  opts: { field: UploadField; now: number; trusted: readonly string[] },
): Promise<CertificateUpload> {
  const fail = (rule: string): CertificateUpload => ({ ok: false, field: opts.field, message: `${LABEL[opts.field]}: ${rule}` });
  const input = text.trim();
  if (!input) return fail("paste the IdP's new signing certificate (it starts with -----BEGIN CERTIFICATE-----) or choose its file.");
  if (input.length > CERTIFICATE_MAX_CHARS) return fail(`is larger than ${CERTIFICATE_MAX_CHARS / 1024} KiB; a certificate is a few KiB.`);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input)) {
    return fail("this is a private key, not a certificate. Never share the IdP's private key: give only its certificate.");
  }
  if (input.startsWith("<") || /<!DOCTYPE|<!ENTITY/i.test(input)) {
    return fail("this looks like XML. Give one PEM certificate here, or upload the IdP's metadata file in step 3 of the connection page.");
  }
  const blocks = input.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks > 1) return fail(`holds ${blocks} certificates; give exactly one.`);
  const stray = input.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/, "").trim();
  if (blocks === 1 && stray) return fail("has text outside the BEGIN/END CERTIFICATE lines; give the certificate alone.");
  if (/-----BEGIN /.test(stray)) return fail("is not a certificate (only -----BEGIN CERTIFICATE----- is accepted).");
  let info: CertInfo;
  try {
    info = await parseCertificate(input);
  } catch {
    return fail("is not an X.509 certificate in PEM (Base-64) form. A binary .cer/.der file: export it as Base-64 instead.");
  }
  if (info.notAfter <= opts.now) return fail(`expired on ${new Date(info.notAfter).toISOString().slice(0, 10)}; ask the IdP for its new certificate.`);
  const bits = await rsaBits(info.spki);
  if (bits !== null && bits < 2048) return fail(`has an RSA key of ${bits} bits; at least 2048 bits are required.`);
  for (const t of opts.trusted) {
    if (t.replace(/\s+/g, "") === info.der) return fail("is already trusted for this connection.");
  }
  return { ok: true, certificate: info.der, info };
}
