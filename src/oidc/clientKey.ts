// The gateway-held key for private_key_jwt (RFC 7523 §2.2): generated per connection, the private half
// sealed at rest by the adapter, the public half published at /sso/oidc/{connection}/jwks.json.
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from "jose";
import type { ClientKeyAlg } from "./config";

export interface GeneratedClientKey {
  kid: string;
  alg: ClientKeyAlg;
  privateJwk: JWK;
  publicJwk: JWK & { kid: string; alg: string; use: "sig" };
}

export async function generateClientKey(alg: ClientKeyAlg): Promise<GeneratedClientKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return { kid, alg, privateJwk, publicJwk: { ...pub, kid, alg, use: "sig" } };
}

export async function importClientKey(privateJwk: JWK, alg: ClientKeyAlg): Promise<CryptoKey> {
  const key = await importJWK(privateJwk, alg);
  if (key instanceof Uint8Array) throw new TypeError("client key must be asymmetric");
  return key;
}

/** Only public members: what the IdP admin may see. */
export function publicJwks(keys: Array<Record<string, unknown>>): { keys: Array<Record<string, unknown>> } {
  const PRIVATE = new Set(["d", "p", "q", "dp", "dq", "qi", "oth", "k"]);
  return { keys: keys.map((k) => Object.fromEntries(Object.entries(k).filter(([n]) => !PRIVATE.has(n)))) };
}
