// Session JWTs: RS256, `kid`, `typ: JWT` — what Convex's OIDC and customJwt providers both accept.
// The signing keys come as a private JWKS; the first key signs, every key is published (rotation).
import { SignJWT, calculateJwkThumbprint, importJWK, type JWK } from "jose";

export interface SigningKeys {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** Public halves of every configured key, for /.well-known/jwks.json. */
  readonly publicJwks: { keys: JWK[] };
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export function publicJwk(jwk: JWK): JWK {
  const pub: JWK = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete (pub as Record<string, unknown>)[m];
  pub.use = "sig";
  pub.alg = "RS256";
  return pub;
}

/** Parse and import a private JWKS (JSON text). Throws with a message naming the field. */
export async function importSigningKeys(privateJwksJson: string): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(privateJwksJson);
  } catch {
    throw new Error("GATEWAY_SIGNING_KEYS: not JSON");
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error("GATEWAY_SIGNING_KEYS.keys: expected a non-empty array");
  keys.forEach((k: JWK, i) => {
    if (k.kty !== "RSA") throw new Error(`GATEWAY_SIGNING_KEYS.keys.${i}.kty: expected "RSA"`);
    if (!k.kid) throw new Error(`GATEWAY_SIGNING_KEYS.keys.${i}.kid: required`);
  });
  const first = keys[0] as JWK;
  if (!first.d) throw new Error("GATEWAY_SIGNING_KEYS.keys.0.d: the signing key must be private");
  const privateKey = (await importJWK({ ...first, alg: "RS256" }, "RS256")) as CryptoKey;
  return Object.freeze({
    kid: first.kid!,
    privateKey,
    publicJwks: { keys: (keys as JWK[]).map(publicJwk) },
  });
}

export interface SessionClaims {
  sub: string;
  sid: string;
  /** The app (OAuth client_id) the token was issued to (OIDC Core §2 "azp"). */
  azp: string;
  group_id: string;
  group: string;
  role: string;
  roles: string[];
  auth_method: "saml" | "oidc" | "dev";
  connection_id?: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface MintOptions {
  issuer: string;
  audience: string;
  now: number; // ms
  durationMs: number;
}

export async function mintSessionJwt(keys: SigningKeys, claims: SessionClaims, opts: MintOptions): Promise<string> {
  const iat = Math.floor(opts.now / 1000);
  const { sub, ...rest } = claims;
  return new SignJWT(rest as Record<string, unknown>)
    .setProtectedHeader({ alg: "RS256", kid: keys.kid, typ: "JWT" })
    .setIssuer(opts.issuer)
    .setSubject(sub)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.floor(opts.durationMs / 1000))
    .sign(keys.privateKey);
}

/** Generate a fresh RS256 private JWKS (for `npm run keys` and the local gateway). */
export async function generatePrivateJwks(): Promise<{ keys: JWK[] }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JWK;
  const kid = await calculateJwkThumbprint({ kty: "RSA", e: jwk.e!, n: jwk.n! });
  const { key_ops: _ops, ext: _ext, ...rest } = jwk;
  return { keys: [{ ...rest, kid, alg: "RS256", use: "sig" }] };
}
