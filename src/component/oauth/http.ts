// The issuer's HTTP surface: discovery, JWKS, token and revocation endpoints (RFC 6749, 7009, 7636, 8414).
import type { HttpRouter } from "convex/server";
import { httpAction, type ActionCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { OAuthError } from "../../oauth/errors";
import { mintSessionJwt } from "../../session/tokens";
import { pkceS256, randomToken, sha256b64url } from "../lib/crypto";
import { gatewayOptions, siteUrl } from "../lib/env";
import { json, oauthErrorResponse, readForm, requireParam } from "../lib/http";
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
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
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

async function tokenResponse(result: GrantResult, refreshToken: string, cors: Record<string, string>): Promise<Response> {
  if (!result.ok) return oauthErrorResponse(result, cors);
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

export const token = httpAction(async (ctx, request) => {
  const cors = await corsHeaders(ctx, request);
  try {
    const form = await readForm(request);
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

export function registerIssuerRoutes(http: HttpRouter) {
  http.route({ path: "/.well-known/openid-configuration", method: "GET", handler: openidConfiguration });
  http.route({ path: "/.well-known/jwks.json", method: "GET", handler: jwks });
  http.route({ path: "/sso/authorize", method: "GET", handler: authorize });
  http.route({ path: "/oauth/token", method: "POST", handler: token });
  http.route({ path: "/oauth/token", method: "OPTIONS", handler: preflight });
  http.route({ path: "/oauth/revoke", method: "POST", handler: revoke });
  http.route({ path: "/oauth/revoke", method: "OPTIONS", handler: preflight });
}
