// Convex-side crypto helpers: random tokens, hashes, and secrets sealed at rest.
import { open, seal } from "../../session/secretBox";
import { encryptionKey } from "./env";

export { randomToken, sha256b64url, pkceS256, timingSafeEqual } from "../../session/encoding";

export function sealSecret(plaintext: string): Promise<string> {
  return seal(encryptionKey(), plaintext);
}

export function openSecret(sealed: string): Promise<string> {
  return open(encryptionKey(), sealed);
}
