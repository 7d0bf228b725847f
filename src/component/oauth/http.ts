// The issuer's HTTP surface: discovery, JWKS, token and revocation endpoints (RFC 6749, 7009, 7636, 8414).
import type { HttpRouter } from "convex/server";
import { httpAction, type ActionCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { OAuthError } from "../../oauth/errors";
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import { mintSessionJwt } from "../../session/tokens";
import { openSecret, pkceS256, randomToken, sealSecret, sha256b64url } from "../lib/crypto";
import { gatewayOptions, siteUrl } from "../lib/env";
import { json, oauthErrorResponse, oauthTooManyRequests, readForm, requireParam } from "../lib/http";
import { clientAddressKey } from "../../shared/clientAddress";
import { signingKeys } from "../lib/keys";
import { authorize } from "../sso/authorize";
import type { GrantResult } from "./grants";

export const openidConfiguration = httpAction(async () => {
  const issuer = siteUrl();
  return json(
    {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      authorization_endpoint: `${issuer}/sso/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
      introspection_endpoint_auth_methods_supported: ["none"],
      authorization_response_iss_parameter_supported: true,
      claims_supported: ["iss", "sub", "aud", "iat", "exp", "sid", "group_id", "group", "role", "roles", "auth_method", "connection_id", "email", "email_verified", "name"],
    },
    200,
    { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
  );
});

export const jwks = httpAction(async () => {
  const keys = await signingKeys();
  return json(keys.publicJwks, 200, { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" });
});

async function corsHeaders(ctx: ActionCtx, request: Request): Promise<Record<string, string>> {
  const origin = request.headers.get("origin");
  if (!origin || !(await ctx.runQuery(internal.oauth.grants.originAllowed, { origin }))) return {};
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

export const preflight = httpAction(async (ctx, request) => {
  const cors = await corsHeaders(ctx, request);
  if (!cors["access-control-allow-origin"]) return new Response(null, { status: 403 });
  return new Response(null, {
    status: 204,
    headers: { ...cors, "access-control-allow-methods": "POST", "access-control-allow-headers": "content-type", "access-control-max-age": "600" },
  });
});

async function tokenResponse(result: GrantResult, issued: string, cors: Record<string, string>): Promise<Response> {
  if (!result.ok) return oauthErrorResponse(result, cors);
  // Inside the reuse grace window the refresh grant hands back the session's existing successor, not a new one.
  const refreshToken = result.reissue ? await openSecret(result.reissue) : issued;
  const durationMs = gatewayOptions().jwt.durationMs;
  const accessToken = await mintSessionJwt(await signingKeys(), result.claims, {
    issuer: siteUrl(),
    audience: result.audience,
    now: Date.now(),
    durationMs,
  });
  return json(
    {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: Math.floor(durationMs / 1000),
      refresh_token: refreshToken,
      refresh_token_expires_in: Math.max(0, Math.floor((result.refreshExpiresAt - Date.now()) / 1000)),
    },
    200,
    { "cache-control": "no-store", pragma: "no-cache", ...cors },
  );
}

/** Spend a token per client address and per client_id; the 429 response when either bucket is empty. */
async function overLimit(ctx: ActionCtx, endpoint: "token" | "introspect", request: Request, form: Map<string, string>, cors: Record<string, string>) {
  const address = clientAddressKey(request.headers);
  const limit = await ctx.runMutation(internal.limits.takeForClient, { endpoint, address, clientId: form.get("client_id") });
  return limit.ok ? null : oauthTooManyRequests(limit.retryAfterSec, cors);
}

export const token = httpAction(async (ctx, request) => {
  const cors = await corsHeaders(ctx, request);
  try {
    const form = await readForm(request);
    const limited = await overLimit(ctx, "token", request, form, cors);
    if (limited) return limited;
    const grantType = requireParam(form, "grant_type");
    const clientId = requireParam(form, "client_id");
    const refreshToken = randomToken(32); // 256 bits; only its hash is stored
    const refreshHash = await sha256b64url(refreshToken);
    let result: GrantResult;
    if (grantType === "authorization_code") {
      const code = requireParam(form, "code");
      const redirectUri = requireParam(form, "redirect_uri");
      const verifier = requireParam(form, "code_verifier");
      if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
        throw new OAuthError("invalid_request", "code_verifier must be 43-128 unreserved characters (RFC 7636 §4.1)");
      }
      result = await ctx.runMutation(internal.oauth.grants.exchangeCode, {
        clientId,
        codeHash: await sha256b64url(code),
        redirectUri,
        verifierChallenge: await pkceS256(verifier),
        refreshHash,
      });
    } else if (grantType === "refresh_token") {
      const presented = requireParam(form, "refresh_token");
      result = await ctx.runMutation(internal.oauth.grants.refresh, {
        clientId,
        tokenHash: await sha256b64url(presented),
        refreshHash,
        sealedRefresh: await sealSecret(refreshToken),
      });
    } else {
      throw new OAuthError("unsupported_grant_type", `grant_type "${grantType.slice(0, 40)}" is not supported`);
    }
    return await tokenResponse(result, refreshToken, cors);
  } catch (err) {
    if (err instanceof OAuthError) return oauthErrorResponse(err, cors);
    console.error("token endpoint failure", err);
    return oauthErrorResponse(new OAuthError("server_error", "unexpected error"), cors);
  }
});

export const revoke = httpAction(async (ctx, request) => {
  const cors = await corsHeaders(ctx, request);
  try {
    const form = await readForm(request);
    const clientId = requireParam(form, "client_id");
    const presented = requireParam(form, "token");
    const hint = form.get("token_type_hint");
    if (hint !== undefined && hint !== "refresh_token" && hint !== "access_token") {
      throw new OAuthError("unsupported_token_type", "token_type_hint must be refresh_token");
    }
    const result = await ctx.runMutation(internal.oauth.grants.revoke, { clientId, tokenHash: await sha256b64url(presented) });
    if (!result.ok) return oauthErrorResponse(result, cors);
    return new Response(null, { status: 200, headers: { "cache-control": "no-store", ...cors } });
  } catch (err) {
    if (err instanceof OAuthError) return oauthErrorResponse(err, cors);
    console.error("revocation endpoint failure", err);
    return oauthErrorResponse(new OAuthError("server_error", "unexpected error"), cors);
  }
});

/**
 * RFC 7662 token introspection for the apps' backends. The caller names itself with its client_id (apps are
 * public clients, §2.1 lets the server choose how callers authenticate): an unknown client_id is 401, and a
 * token is active only for the app its session belongs to. The answer carries nothing beyond the token's own
 * claims, so a caller learns no more than decoding the JWT would tell it — except whether the session is live.
 * Refresh tokens are never introspectable (always inactive): they stay between the browser and /oauth/token.
 */
export const introspect = httpAction(async (ctx, request) => {
  const cors = await corsHeaders(ctx, request);
  const headers = { "cache-control": "no-store", pragma: "no-cache", ...cors };
  try {
    const form = await readForm(request);
    const limited = await overLimit(ctx, "introspect", request, form, cors);
    if (limited) return limited;
    const clientId = requireParam(form, "client_id");
    const token = requireParam(form, "token");
    const claims = await verifiedAccessToken(token);
    const result = await ctx.runQuery(internal.oauth.grants.introspect, {
      clientId,
      sid: typeof claims?.sid === "string" ? claims.sid : "",
      sub: typeof claims?.sub === "string" ? claims.sub : "",
      groupId: typeof claims?.group_id === "string" ? claims.group_id : "",
    });
    if (result.client === "unknown") throw new OAuthError("invalid_client", "unknown client_id");
    if (!claims || !result.active) return json({ active: false }, 200, headers);
    return json({ ...claims, active: true, client_id: clientId, token_type: "Bearer" }, 200, headers);
  } catch (err) {
    if (err instanceof OAuthError) return oauthErrorResponse(err, cors);
    console.error("introspection endpoint failure", err);
    return oauthErrorResponse(new OAuthError("server_error", "unexpected error"), cors);
  }
});

/** The claims of one of our own unexpired access tokens (signature, issuer, RS256), or null. */
async function verifiedAccessToken(token: string): Promise<JWTPayload | null> {
  if (token.length > 8192 || token.split(".").length !== 3) return null;
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet((await signingKeys()).publicJwks), {
      issuer: siteUrl(),
      algorithms: ["RS256"],
      typ: "JWT",
    });
    return payload;
  } catch {
    return null;
  }
}

export function registerIssuerRoutes(http: HttpRouter) {
  http.route({ path: "/.well-known/openid-configuration", method: "GET", handler: openidConfiguration });
  http.route({ path: "/.well-known/jwks.json", method: "GET", handler: jwks });
  http.route({ path: "/sso/authorize", method: "GET", handler: authorize });
  http.route({ path: "/oauth/token", method: "POST", handler: token });
  http.route({ path: "/oauth/token", method: "OPTIONS", handler: preflight });
  http.route({ path: "/oauth/revoke", method: "POST", handler: revoke });
  http.route({ path: "/oauth/revoke", method: "OPTIONS", handler: preflight });
  http.route({ path: "/oauth/introspect", method: "POST", handler: introspect });
  http.route({ path: "/oauth/introspect", method: "OPTIONS", handler: preflight });
}
