// base64url and hashing on Web APIs only (Convex's default runtime has no Buffer).
import { sha256 } from "./sha256";

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function randomToken(bytes = 32): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return base64UrlEncode(buf);
}

/**
 * base64url(SHA-256(UTF-8 text)). Pure JavaScript (src/session/sha256.ts) so that it runs the same in HTTP
 * actions, queries and mutations; kept async so callers need not change if it moves to crypto.subtle.
 */
export async function sha256b64url(text: string): Promise<string> {
  return base64UrlEncode(sha256(new TextEncoder().encode(text)));
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))). */
export const pkceS256 = sha256b64url;

/** Constant-time comparison of two ASCII strings. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
