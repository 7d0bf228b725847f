// The relying-party flow on top of openid-client v6: authorization URL (PKCE S256, state, nonce) and the
// callback pipeline  authorization response → code exchange → ID token checks → userinfo → profile.
// Pure: the adapter injects fetch, the clock, the secrets (already opened) and the caches.
import * as client from "openid-client";
import type { JSONWebKeySet } from "jose";
import { allowedIdTokenAlgs, clientAssertionAudience, type OidcConfig } from "./config";
import { mapClaims, type MappedProfile } from "./claims";
import type { ServerMetadata } from "./discovery";
import { OidcError } from "./errors";
import type { FetchLike } from "./fetch";
import { fetchJwksDocument, verifyIdToken } from "./idToken";
import { importClientKey } from "./clientKey";
import { fetchEntraGroupIds } from "./graph";
import type { JWK } from "jose";

export interface ClientSecrets {
  clientSecret?: string;
  clientPrivateJwk?: JWK;
}

export interface RuntimeDeps {
  fetch: FetchLike;
  /** Local gateway / tests only: lets openid-client talk http to 127.0.0.1 (the guard still decides). */
  allowInsecureRequests?: boolean;
  timeoutMs?: number;
}

/** openid-client's frozen Configuration for one connection and one request. */
export async function clientConfiguration(
  config: OidcConfig,
  server: ServerMetadata,
  secrets: ClientSecrets,
  deps: RuntimeDeps,
  opts: { authorizationOnly?: boolean } = {},
): Promise<client.Configuration> {
  let auth: client.ClientAuth;
  switch (opts.authorizationOnly ? "none" : config.tokenEndpointAuthMethod) {
    case "none":
      auth = client.None();
      break;
    case "client_secret_basic":
      auth = client.ClientSecretBasic(requireSecret(secrets));
      break;
    case "client_secret_post":
      auth = client.ClientSecretPost(requireSecret(secrets));
      break;
    case "private_key_jwt": {
      if (!secrets.clientPrivateJwk || !config.clientKey) throw new OidcError("config_invalid", '"clientKey" is missing');
      const key = await importClientKey(secrets.clientPrivateJwk, config.clientKey.alg);
      const aud = clientAssertionAudience(config) === "issuer" ? server.issuer : server.token_endpoint;
      const alg = config.clientKey.alg;
      auth = client.PrivateKeyJwt(
        { key, kid: config.clientKey.kid },
        {
          [client.modifyAssertion]: (header, payload) => {
            payload.aud = aud;
            if (alg === "EdDSA") header.alg = "EdDSA"; // the registered JWK says EdDSA, not Ed25519
          },
        },
      );
      break;
    }
  }
  const metadata: Partial<client.ClientMetadata> = {
    token_endpoint_auth_method: config.tokenEndpointAuthMethod,
    // An array is honoured by oauth4webapi: the asymmetric allow-list, checked before anything else.
    id_token_signed_response_alg: allowedIdTokenAlgs(config) as unknown as string,
  };
  const cfg = new client.Configuration(server as client.ServerMetadata, config.clientId, metadata, auth);
  cfg[client.customFetch] = (url, options) => deps.fetch(url, options as RequestInit);
  if (deps.timeoutMs !== undefined) cfg.timeout = Math.max(1, Math.ceil(deps.timeoutMs / 1000));
  if (deps.allowInsecureRequests) client.allowInsecureRequests(cfg);
  return cfg;
}

function requireSecret(s: ClientSecrets): string {
  if (!s.clientSecret) throw new OidcError("config_invalid", '"clientSecret" is missing');
  return s.clientSecret;
}

export interface AuthorizationStart {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function startAuthorization(
  cfg: client.Configuration,
  config: OidcConfig,
  opts: { redirectUri: string; loginHint?: string },
): Promise<AuthorizationStart> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params: Record<string, string> = {
    redirect_uri: opts.redirectUri,
    scope: config.scopes.join(" "),
    response_type: "code",
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  };
  const extra = config.authorizationParams ?? {};
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) params[k] = String(v);
  if (opts.loginHint) params.login_hint = opts.loginHint;
  return { url: client.buildAuthorizationUrl(cfg, params).href, state, nonce, codeVerifier };
}

export interface CallbackInput {
  /** The full callback URL as the OP redirected to it (the gateway's public redirect URI + query). */
  callbackUrl: URL;
  expected: { state: string; nonce: string; codeVerifier: string };
  jwks: JSONWebKeySet | undefined;
  now: number;
}

export interface CallbackResult extends MappedProfile {
  /** The groups are authoritative even when empty (overage resolved): roles are recomputed from them. */
  groupsAsserted: boolean;
  claims: Record<string, unknown>;
  refreshedJwks?: JSONWebKeySet;
  userinfoMerged: boolean;
}

const SAFE_ERROR = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

/** An error authorization response (RFC 6749 §4.1.2.1) as an OidcError, or undefined. */
export function idpErrorOf(params: URLSearchParams): OidcError | undefined {
  const error = params.get("error");
  if (error === null) return undefined;
  const code = SAFE_ERROR.test(error) ? error : "invalid";
  const desc = (params.get("error_description") ?? "").slice(0, 200).replace(/[^\x20-\x7e]/g, "?");
  return new OidcError("idp_error", `error=${code}${desc ? ` description=${JSON.stringify(desc)}` : ""}`);
}

/** Step 1: the authorization response itself (IdP error, RFC 9207 "iss"). Before any network call. */
export function checkAuthorizationResponse(params: URLSearchParams, server: ServerMetadata): void {
  const idpError = idpErrorOf(params);
  if (idpError) throw idpError;
  const iss = params.get("iss");
  // RFC 9207 §2.4: when present it MUST equal the issuer; when the OP advertises support it MUST be present.
  if (iss !== null && iss !== server.issuer) throw new OidcError("iss_mismatch", '"iss" authorization response parameter is not the issuer');
  if (iss === null && server.authorization_response_iss_parameter_supported === true) {
    throw new OidcError("iss_mismatch", '"iss" authorization response parameter is missing (RFC 9207)');
  }
  if (!params.get("code")) throw new OidcError("response_invalid", '"code" authorization response parameter is missing');
}

function findCause<T>(e: unknown, pred: (x: unknown) => x is T): T | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur; i++) {
    if (pred(cur)) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** openid-client / oauth4webapi errors → our closed set. */
export function mapClientError(e: unknown, phase: "token" | "userinfo"): OidcError {
  const own = findCause(e, (x): x is OidcError => x instanceof OidcError);
  if (own) return own;
  const timeout = findCause(e, (x): x is Error => x instanceof Error && (x.name === "TimeoutError" || x.name === "AbortError"));
  if (timeout) return new OidcError("idp_timeout", `${phase} request timed out`);
  if (e instanceof client.AuthorizationResponseError) return new OidcError("idp_error", `error=${e.error}`);
  if (e instanceof client.ResponseBodyError) {
    return new OidcError(phase === "token" ? "token_endpoint_error" : "userinfo_failed", `HTTP ${e.status} error=${e.error}`);
  }
  const code = (e as { code?: string }).code;
  const inner = (e as { cause?: unknown }).cause as { cause?: Record<string, unknown>; message?: string } | undefined;
  const cause = (inner?.cause ?? {}) as Record<string, unknown>;
  const claim = typeof cause.claim === "string" ? cause.claim : undefined;
  const message = String(inner?.message ?? (e as Error)?.message ?? "");
  switch (code) {
    case "OAUTH_RESPONSE_IS_NOT_CONFORM":
    case "OAUTH_RESPONSE_IS_NOT_JSON": {
      const status = (inner as { status?: number } | undefined)?.status;
      return new OidcError(phase === "token" ? "token_endpoint_error" : "userinfo_failed", `unexpected response${status ? ` HTTP ${status}` : ""}`);
    }
    case "OAUTH_JWT_CLAIM_COMPARISON_FAILED":
      if (claim === "nonce") return new OidcError("nonce_mismatch", '"nonce" claim does not match the stored nonce');
      if (claim === "aud") return new OidcError("id_token_audience_mismatch", '"aud" claim does not contain the client_id');
      if (claim === "azp") return new OidcError("id_token_azp_mismatch", '"azp" claim is not the client_id');
      if (claim === "iss") return new OidcError("id_token_issuer_mismatch", '"iss" claim is not the issuer');
      return new OidcError("claims_invalid", `"${claim ?? "?"}" claim comparison failed`);
    case "OAUTH_JWT_TIMESTAMP_CHECK_FAILED":
      if (claim === "exp") return new OidcError("id_token_expired", '"exp" claim timestamp check failed');
      return new OidcError("id_token_iat_invalid", `"${claim ?? "?"}" claim timestamp check failed`);
    case "OAUTH_INVALID_RESPONSE":
    case "OAUTH_PARSE_ERROR":
      if (/"alg"/.test(message)) return new OidcError("id_token_alg_not_allowed", 'ID token "alg" is not in the allow-list');
      if (/"state"/.test(message)) return new OidcError("state_invalid", '"state" does not match');
      if (/"iss"/.test(message)) return new OidcError("iss_mismatch", '"iss" authorization response parameter check failed');
      if (/"id_token"/.test(message)) return new OidcError("id_token_missing", "token response has no usable id_token");
      {
        const missing = /JWT "(\w+)" \(.*\) claim missing/.exec(message)?.[1];
        if (missing === "nonce") return new OidcError("nonce_mismatch", '"nonce" claim is missing');
        if (missing === "aud") return new OidcError("id_token_audience_mismatch", '"aud" claim is missing');
        if (missing === "iss") return new OidcError("id_token_issuer_mismatch", '"iss" claim is missing');
        if (missing === "exp") return new OidcError("id_token_expired", '"exp" claim is missing');
        if (missing === "iat") return new OidcError("id_token_iat_invalid", '"iat" claim is missing');
        if (missing) return new OidcError("claims_invalid", `"${missing}" claim is missing`);
      }
      return new OidcError(phase === "token" ? "token_endpoint_error" : "userinfo_failed", `invalid response: ${message.slice(0, 120)}`);
    default:
      if (e instanceof client.ClientError && /"alg"|unsupported JWS algorithm/.test(message)) {
        return new OidcError("id_token_alg_not_allowed", 'ID token "alg" is not in the allow-list');
      }
      return new OidcError(phase === "token" ? "token_endpoint_error" : "userinfo_failed", `${(e as Error)?.name ?? "error"}: ${message.slice(0, 120)}`);
  }
}

/**
 * Exchange the code and validate everything. Throws OidcError; never returns a partial profile.
 * openid-client checks state, iss, aud, azp, exp, iat and nonce; the signature and alg allow-list are
 * checked here with jose against the cached JWKS (re-fetched once on an unknown "kid").
 */
export async function completeAuthorization(
  cfg: client.Configuration,
  config: OidcConfig,
  server: ServerMetadata,
  input: CallbackInput,
  deps: RuntimeDeps,
): Promise<CallbackResult> {
  checkAuthorizationResponse(input.callbackUrl.searchParams, server);

  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(cfg, input.callbackUrl, {
      pkceCodeVerifier: input.expected.codeVerifier,
      expectedState: input.expected.state,
      expectedNonce: input.expected.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    throw mapClientError(e, "token");
  }
  const idToken = tokens.id_token;
  if (!idToken) throw new OidcError("id_token_missing", "token response has no id_token");

  const { payload, refreshedJwks } = await verifyIdToken({
    idToken,
    jwks: input.jwks,
    fetchJwks: () => fetchJwksDocument(server.jwks_uri, deps.fetch),
    algorithms: allowedIdTokenAlgs(config),
    issuer: server.issuer,
    audience: config.clientId,
    now: input.now,
  });
  if (payload.nonce !== input.expected.nonce) throw new OidcError("nonce_mismatch", '"nonce" claim does not match the stored nonce');
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== config.clientId) {
    throw new OidcError("id_token_azp_mismatch", '"azp" claim is not the client_id');
  }

  let claims: Record<string, unknown> = { ...payload };
  let userinfoMerged = false;
  if (config.useUserinfo && server.userinfo_endpoint && tokens.access_token) {
    let info: Record<string, unknown>;
    try {
      info = (await client.fetchUserInfo(cfg, tokens.access_token, client.skipSubjectCheck)) as Record<string, unknown>;
    } catch (e) {
      throw mapClientError(e, "userinfo");
    }
    // OIDC Core §5.3.2: the userinfo "sub" MUST be verified to match the ID token's; only then merge.
    if (info.sub === payload.sub) {
      claims = { ...info, ...claims };
      userinfoMerged = true;
    }
  }

  const mapped = mapClaims(config, claims);
  const resolved = mapped.groupsNotDelivered ? await resolveGroupsOverage(config, mapped, claims, tokens.access_token, deps) : { ...mapped, groupsAsserted: false };
  return { ...resolved, claims, userinfoMerged, ...(refreshedJwks ? { refreshedJwks } : {}) };
}

/**
 * Groups overage: the groups from Microsoft Graph (Entra preset, or a connection that configures
 * `groupsOverage`), else the connection's fail-closed policy. Either way the groups are then asserted: roles
 * are recomputed from them, never kept from an earlier login.
 */
async function resolveGroupsOverage(
  config: OidcConfig,
  mapped: MappedProfile,
  claims: Record<string, unknown>,
  accessToken: string | undefined,
  deps: RuntimeDeps,
): Promise<MappedProfile & { groupsAsserted: boolean }> {
  const onFailure = config.groupsOverage?.onFailure ?? "refuse";
  let reason: OidcError;
  if (config.preset === "entra" || config.groupsOverage) {
    try {
      const ids = await fetchEntraGroupIds({ graphBaseUrl: config.groupsOverage?.graphBaseUrl, accessToken, fetch: deps.fetch });
      // App roles still arrive in the token ("roles"); only the groups overflowed.
      const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];
      const groups = [...new Set([...ids, ...roles])].slice(0, 5000);
      const { groupsNotDelivered: _flag, ...attributes } = mapped.profile.attributes ?? {};
      return { profile: { ...mapped.profile, groups, attributes }, groupsNotDelivered: false, groupsAsserted: true };
    } catch (e) {
      reason = e instanceof OidcError ? e : new OidcError("groups_overage_unresolved", "Graph could not be read");
    }
  } else {
    reason = new OidcError("groups_overage_unresolved", "groups overage, and no Microsoft Graph is configured for this connection");
  }
  if (onFailure === "refuse") throw reason;
  return { profile: { ...mapped.profile, groups: [] }, groupsNotDelivered: true, groupsAsserted: true };
}
