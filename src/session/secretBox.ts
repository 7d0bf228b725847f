// Secrets at rest (OIDC client secrets, SP private keys): AES-256-GCM with a key from the environment.
// Format: "v1." + base64url(iv ‖ ciphertext). The key is 32 random bytes, base64url or base64.
import { base64UrlDecode, base64UrlEncode } from "./encoding";

const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(rawKey: string): Promise<CryptoKey> {
  let key = keyCache.get(rawKey);
  if (!key) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = base64UrlDecode(rawKey.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
    } catch {
      bytes = new Uint8Array(0);
    }
    if (bytes.length !== 32) throw new Error("GATEWAY_ENCRYPTION_KEY must be 32 bytes (base64url)");
    key = crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(rawKey, key);
  }
  return key;
}

export async function seal(rawKey: string, plaintext: string): Promise<string> {
  const iv = new Uint8Array(12);
  crypto.getRandomValues(iv);
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await importKey(rawKey),
    new TextEncoder().encode(plaintext),
  );
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return "v1." + base64UrlEncode(out);
}

export async function open(rawKey: string, sealed: string): Promise<string> {
  if (!sealed.startsWith("v1.")) throw new Error("sealed secret: unknown format");
  const bytes = base64UrlDecode(sealed.slice(3));
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, 12) },
    await importKey(rawKey),
    bytes.slice(12),
  );
  return new TextDecoder().decode(pt);
}
