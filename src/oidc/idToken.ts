// ID token signature check with an explicit asymmetric allow-list (RFC 8725 §3.1, §3.2): "none" and HMAC are
// refused before any key is looked at, so a public key can never be used as an HMAC secret. Keys come from
// the cached JWKS; an unknown "kid" triggers one re-fetch (key rotation at the OP).
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { IdTokenAlg } from "./config";
import { OidcError } from "./errors";
import type { FetchLike } from "./fetch";

export interface VerifyIdTokenInput {
  idToken: string;
  jwks: JSONWebKeySet | undefined;
  /** Fetch the OP's current JWKS (guarded). Called when the cache is empty or the "kid" is unknown. */
  fetchJwks: () => Promise<JSONWebKeySet>;
  algorithms: readonly IdTokenAlg[];
  issuer: string;
  audience: string;
  now: number;
}

export interface VerifyIdTokenResult {
  payload: JWTPayload;
  /** Set when the JWKS was (re-)fetched: the adapter stores it. */
  refreshedJwks?: JSONWebKeySet;
}

export async function fetchJwksDocument(jwksUri: string, fetch: FetchLike): Promise<JSONWebKeySet> {
  const res = await fetch(jwksUri, { method: "GET", headers: { accept: "application/json, application/jwk-set+json" } });
  if (res.status !== 200) throw new OidcError("discovery_failed", `jwks_uri answered HTTP ${res.status}`);
  let doc: unknown;
  try {
    doc = await res.json();
  } catch {
    throw new OidcError("discovery_failed", "jwks_uri document is not JSON");
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new OidcError("discovery_failed", 'jwks_uri document has no "keys" array');
  // Keep public signing keys only: a JWKS never needs to hand us symmetric or private material.
  const usable = keys.filter(
    (k): k is JSONWebKeySet["keys"][number] =>
      typeof k === "object" && k !== null && ["RSA", "EC", "OKP"].includes((k as { kty?: string }).kty ?? "") &&
      (k as { d?: unknown }).d === undefined,
  );
  return { keys: usable };
}

function headerAlg(idToken: string): { alg: string; kid?: string } {
  try {
    const h = decodeProtectedHeader(idToken);
    return { alg: String(h.alg), ...(h.kid !== undefined ? { kid: h.kid } : {}) };
  } catch {
    throw new OidcError("id_token_signature_invalid", "ID token header is not decodable");
  }
}

const CLOCK_TOLERANCE_S = 60;

// Imported keys are reused across requests of the same isolate (jose caches them per key set object).
const keySets = new Map<string, ReturnType<typeof createLocalJWKSet>>();
function localKeySet(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  const id = JSON.stringify(jwks);
  let set = keySets.get(id);
  if (!set) {
    if (keySets.size >= 50) keySets.delete(keySets.keys().next().value as string);
    set = createLocalJWKSet(jwks);
    keySets.set(id, set);
  }
  return set;
}

async function verifyWith(input: VerifyIdTokenInput, jwks: JSONWebKeySet): Promise<JWTPayload> {
  const { payload } = await jwtVerify(input.idToken, localKeySet(jwks), {
    algorithms: [...input.algorithms],
    issuer: input.issuer,
    audience: input.audience,
    currentDate: new Date(input.now),
    clockTolerance: CLOCK_TOLERANCE_S,
  });
  // OIDC Core §3.1.3.7 (10): "iat" is required; one far in the future means a wrong clock or a forged token.
  if (typeof payload.iat !== "number" || payload.iat > input.now / 1000 + CLOCK_TOLERANCE_S) {
    throw new OidcError("id_token_iat_invalid", '"iat" claim is missing or in the future');
  }
  return payload;
}

function mapJoseError(e: unknown, kid: string | undefined): OidcError {
  if (e instanceof OidcError) return e;
  if (e instanceof errors.JWKSNoMatchingKey) {
    return new OidcError("id_token_kid_unknown", `no JWKS key for kid ${JSON.stringify(kid ?? null)} after refresh`);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return new OidcError("id_token_signature_invalid", "signature verification failed");
  if (e instanceof errors.JOSEAlgNotAllowed) return new OidcError("id_token_alg_not_allowed", "algorithm not allowed");
  if (e instanceof errors.JWTExpired) return new OidcError("id_token_expired", '"exp" claim timestamp check failed');
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim = e.claim;
    if (claim === "iss") return new OidcError("id_token_issuer_mismatch", '"iss" claim check failed');
    if (claim === "aud") return new OidcError("id_token_audience_mismatch", '"aud" claim check failed');
    if (claim === "iat" || claim === "nbf") return new OidcError("id_token_iat_invalid", `"${claim}" claim check failed`);
    return new OidcError("claims_invalid", `"${claim}" claim check failed`);
  }
  return new OidcError("id_token_signature_invalid", `ID token rejected (${(e as Error)?.name ?? "error"})`);
}

export async function verifyIdToken(input: VerifyIdTokenInput): Promise<VerifyIdTokenResult> {
  const { alg, kid } = headerAlg(input.idToken);
  if (!(input.algorithms as readonly string[]).includes(alg)) {
    throw new OidcError("id_token_alg_not_allowed", `ID token "alg" ${JSON.stringify(alg).slice(0, 20)} is not in the allow-list`);
  }
  let jwks = input.jwks;
  let refreshed: JSONWebKeySet | undefined;
  if (!jwks) {
    jwks = refreshed = await input.fetchJwks();
  }
  try {
    return { payload: await verifyWith(input, jwks), ...(refreshed ? { refreshedJwks: refreshed } : {}) };
  } catch (e) {
    if (!(e instanceof errors.JWKSNoMatchingKey) || refreshed) throw mapJoseError(e, kid);
  }
  // Unknown kid with a cached JWKS: the OP may have rotated its keys. Re-fetch once.
  refreshed = await input.fetchJwks();
  try {
    return { payload: await verifyWith(input, refreshed), refreshedJwks: refreshed };
  } catch (e) {
    throw mapJoseError(e, kid);
  }
}
