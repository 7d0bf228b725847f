// Byte/text helpers on Web APIs only (no Buffer): the Convex default runtime has atob/btoa/TextEncoder.
import { BodyTooLargeError, readStreamCapped } from "../shared/body";

export function bytesToB64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(s);
}

/** Strict-ish base64 decode: whitespace is ignored, anything else outside the alphabet throws. */
export function b64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error("not base64");
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(b);
}

export function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Escape for XML text and attribute values (we only ever emit double-quoted attributes). */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** SAML IDs are xs:ID (NCName): must not start with a digit. 20 random bytes, hex, prefixed. */
export function newSamlId(random: (n: number) => Uint8Array = randomBytes): string {
  return "_" + bytesToHex(random(20));
}

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}

/** SAML dateTime in UTC without milliseconds, e.g. 2026-11-25T03:00:00Z (SAML Core §1.3.3). */
export function samlInstant(now: Date | number): string {
  const d = typeof now === "number" ? new Date(now) : now;
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflate with an output cap: a deflate bomb stops at maxBytes instead of filling memory. */
export async function inflateRaw(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  try {
    return await readStreamCapped(stream, maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new Error(`inflated message exceeds ${maxBytes} bytes`);
    throw e;
  }
}
