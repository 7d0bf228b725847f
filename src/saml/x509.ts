// Minimal X.509 in pure code (Web APIs only): read the validity, subject CN and public key of a certificate,
// compute its SHA-256 fingerprint, and make a self-signed RSA certificate for an SP key (RFC 5280 §4.1).
// Only what SAML needs: SAML trusts certificates by pinning, not by chain, so no path validation here.
import { b64ToBytes, bytesToB64, bytesToHex, randomBytes, utf8 } from "./encoding";
import { concatBytes } from "../shared/bytes";
import { sha256 } from "../session/sha256";

interface Tlv {
  tag: number;
  start: number; // offset of the tag byte
  contentStart: number;
  end: number; // exclusive
}

function readTlv(buf: Uint8Array, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new Error("DER: truncated");
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("DER: unsupported length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  if (p + len > buf.length) throw new Error("DER: length beyond end");
  return { tag, start: pos, contentStart: p, end: p + len };
}

function children(buf: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTlv(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function parseTime(buf: Uint8Array, t: Tlv): number {
  const s = new TextDecoder().decode(buf.subarray(t.contentStart, t.end));
  let m: RegExpMatchArray | null;
  if (t.tag === 0x17 && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/))) {
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
    return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  }
  if (t.tag === 0x18 && (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new Error("DER: bad time");
}

const OID_CN = "55 04 03";

function oidHex(buf: Uint8Array, t: Tlv): string {
  return Array.from(buf.subarray(t.contentStart, t.end), (x) => x.toString(16).padStart(2, "0")).join(" ");
}

export interface CertInfo {
  /** base64 DER, no whitespace: the canonical form we store and compare. */
  der: string;
  notBefore: number;
  notAfter: number;
  subjectCn: string | null;
  /** SubjectPublicKeyInfo DER, for crypto.subtle.importKey("spki", …). */
  spki: Uint8Array;
  sha256: string; // hex, lower-case
}

/** Accept PEM (with BEGIN/END lines) or bare base64 DER; return bare base64 DER or throw. */
export function normalizeCertificate(input: string): string {
  const body = input
    .replace(/-----BEGIN CERTIFICATE-----/g, "")
    .replace(/-----END CERTIFICATE-----/g, "")
    .replace(/\s+/g, "");
  const der = b64ToBytes(body);
  parseCertificateDer(der); // throws if it is not a certificate
  return bytesToB64(der);
}

export function certificateToPem(b64Der: string): string {
  const lines = b64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function parseCertificateDer(der: Uint8Array): Omit<CertInfo, "sha256" | "der"> {
  const cert = readTlv(der, 0);
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error("not a DER certificate");
  const [tbs] = children(der, cert);
  if (!tbs || tbs.tag !== 0x30) throw new Error("certificate: no TBSCertificate");
  const f = children(der, tbs);
  let i = 0;
  if (f[0]?.tag === 0xa0) i = 1; // [0] version
  const validity = f[i + 3];
  const subject = f[i + 4];
  const spki = f[i + 5];
  if (!validity || !subject || !spki || validity.tag !== 0x30 || spki.tag !== 0x30) {
    throw new Error("certificate: malformed TBSCertificate");
  }
  const [nb, na] = children(der, validity);
  if (!nb || !na) throw new Error("certificate: malformed validity");
  let subjectCn: string | null = null;
  for (const rdn of children(der, subject)) {
    for (const atv of children(der, rdn)) {
      const [oid, val] = children(der, atv);
      if (oid && val && oidHex(der, oid) === OID_CN) {
        subjectCn = new TextDecoder().decode(der.subarray(val.contentStart, val.end));
      }
    }
  }
  return {
    notBefore: parseTime(der, nb),
    notAfter: parseTime(der, na),
    subjectCn,
    spki: der.slice(spki.start, spki.end),
  };
}

export async function parseCertificate(input: string): Promise<CertInfo> {
  const der64 = normalizeCertificate(input);
  const der = b64ToBytes(der64);
  const info = parseCertificateDer(der);
  // Pure SHA-256: certificates are parsed inside mutations (connection writes, the expiry cron).
  const digest = sha256(der);
  return { ...info, der: der64, sha256: bytesToHex(digest) };
}

// ---------------------------------------------------------------------------------------------------------
// DER encoding, just enough for a self-signed certificate.

function len(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), len(body.length), body);
}

const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
const NULL = Uint8Array.of(0x05, 0x00);

function posInt(bytes: Uint8Array): Uint8Array {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = concat(Uint8Array.of(0), b);
  return tlv(0x02, b);
}

function oid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Uint8Array.from(out));
}

function time(ms: number): Uint8Array {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  if (y < 2050) return tlv(0x17, utf8(p(y % 100) + body));
  return tlv(0x18, utf8(String(y) + body));
}

function name(cn: string): Uint8Array {
  return seq(set(seq(oid("2.5.4.3"), tlv(0x0c, utf8(cn)))));
}

const SHA256_WITH_RSA = seq(oid("1.2.840.113549.1.1.11"), NULL);

export const RSA_SIGN_ALG: RsaHashedImportParams & RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  modulusLength: 2048,
  publicExponent: Uint8Array.of(1, 0, 1),
};

export interface GeneratedKeyPair {
  /** PKCS#8 private key, PEM. Seal it before storing. */
  privateKeyPem: string;
  /** Self-signed certificate, base64 DER. */
  certificate: string;
  notAfter: number;
}

/**
 * A fresh RSA-2048 key and a self-signed SHA-256 certificate for it. The same key type serves for SAML
 * signing (RSA-SHA256) and encryption (RSA-OAEP key transport): the certificate only carries the public key.
 */
export async function generateSelfSignedCert(opts: {
  commonName: string;
  now: Date | number;
  validDays: number;
}): Promise<GeneratedKeyPair> {
  const now = typeof opts.now === "number" ? opts.now : opts.now.getTime();
  const pair = (await crypto.subtle.generateKey(RSA_SIGN_ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const notBefore = now - 5 * 60_000;
  const notAfter = now + opts.validDays * 86_400_000;
  const tbs = tbsCertificate(opts.commonName, notBefore, notAfter, spki);
  const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, tbs as BufferSource));
  const cert = assembleCertificate(tbs, sig);
  const b64 = bytesToB64(pkcs8);
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${(b64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { privateKeyPem, certificate: bytesToB64(cert), notAfter: Math.floor(notAfter / 1000) * 1000 };
}

export function pemToPkcs8(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  return b64ToBytes(body);
}

export async function importRsaSigningKey(privateKeyPem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pemToPkcs8(privateKeyPem) as BufferSource, RSA_SIGN_ALG, false, ["sign"]);
}

/** The TBSCertificate of a self-signed RSA-SHA256 certificate (to be signed by the caller's key). */
export function tbsCertificate(commonName: string, notBefore: number, notAfter: number, spki: Uint8Array): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  return seq(
    tlv(0xa0, posInt(Uint8Array.of(2))),
    posInt(serial),
    SHA256_WITH_RSA,
    name(commonName),
    seq(time(notBefore), time(notAfter)),
    name(commonName),
    spki,
  );
}

export function assembleCertificate(tbs: Uint8Array, signature: Uint8Array): Uint8Array {
  return seq(tbs, SHA256_WITH_RSA, tlv(0x03, Uint8Array.of(0), signature));
}
