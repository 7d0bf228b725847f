// RFC 7636 PKCE (S256 only) and the random `state`, from an injected Web Crypto.
import { base64UrlEncode } from "../session/encoding";

export function randomString(crypto: Crypto, bytes: number): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A 43-character verifier (32 random bytes) and its challenge BASE64URL(SHA256(verifier)) (RFC 7636 §4.1-4.2). */
export async function pkcePair(crypto: Crypto): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomString(crypto, 32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64UrlEncode(new Uint8Array(digest)) };
}
