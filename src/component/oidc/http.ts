// OIDC routes: GET /sso/oidc/{connection}/callback (redirect URI) and GET /sso/oidc/{connection}/jwks.json
// (the gateway-held private_key_jwt public key, for the IdP admin).
//
// callback pipeline: route → load context (query) → check state → IdP error / RFC 9207 iss → exchange +
// ID token validation + userinfo (openid-client, jose) → ONE mutation (consume state + complete sign-in)
// → 302 to the app. Any failure: a trace row + an error page; nothing else is written.
import type { HttpRouter } from "convex/server";
import { ConvexError } from "convex/values";
import type { JSONWebKeySet } from "jose";
import { httpAction, type ActionCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { errorPage, tooManyRequestsPage } from "../lib/pages";
import { clientAddressKey } from "../../shared/clientAddress";
import { json } from "../lib/http";
import { completeAuthorization, idpErrorOf } from "../../oidc/flow";
import { JWKS_TTL_MS, isFresh } from "../../oidc/discovery";
import { OidcError } from "../../oidc/errors";
import { publicJwks } from "../../oidc/clientKey";
import { asOidcError, configurationFor, failure, readConfig, remember, rememberedDiscovery, runtimeDeps, serverMetadata } from "./runtime";

/** Connection id → its issuer, as last seen by this isolate (only a hint: the query compares it with the row). */
const issuerOfConnection = new Map<string, string>();

const PATH = /^\/sso\/oidc\/([A-Za-z0-9_-]{1,64})\/(callback|jwks\.json)$/;

async function callback(ctx: ActionCtx, request: Request, connectionParam: string): Promise<Response> {
  // Rate limit first; an unknown connection id gets a 404 and writes nothing.
  const limit = await ctx.runMutation(internal.limits.takeForConnection, { endpoint: "oidcCallback", address: clientAddressKey(request.headers), connection: connectionParam });
  if ("unknown" in limit) return errorPage({ title: "Sign-in failed", message: "Unknown single sign-on connection.", status: 404 });
  if (!limit.ok) return tooManyRequestsPage(limit.retryAfterSec);
  const url = new URL(request.url);
  const params = url.searchParams;
  const state = params.get("state") ?? undefined;
  const knownIssuer = issuerOfConnection.get(connectionParam);
  const known = knownIssuer !== undefined ? rememberedDiscovery(knownIssuer, Date.now()) : undefined;
  const loaded = await ctx.runQuery(internal.oidc.store.callbackContext, {
    connection: connectionParam,
    ...(state && state.length <= 200 ? { state } : {}),
    ...(known && knownIssuer !== undefined && typeof known.metadata.jwks_uri === "string"
      ? { knownDiscovery: { issuer: knownIssuer, jwksUri: known.metadata.jwks_uri } }
      : {}),
  });
  if (!loaded) return errorPage({ title: "Sign-in failed", message: "Unknown single sign-on connection.", status: 404 });
  const { connection, stateRow } = loaded;

  // An IdP error comes first: the person should learn that the IdP refused, whatever the state.
  const idpError = idpErrorOf(params);
  if (idpError) {
    const stateNote = stateRow && stateRow.connectionId === connection._id ? "state ok" : "state unknown";
    return failure(ctx, { connection, code: idpError.code, detail: `${idpError.detail} (${stateNote})` });
  }
  if (!stateRow || stateRow.connectionId !== connection._id || stateRow.expiresAt <= loaded.now) {
    return failure(ctx, { connection, code: "state_invalid", detail: state ? "state is unknown, expired or for another connection" : "state parameter missing" });
  }
  if (stateRow.usedAt !== undefined) {
    return failure(ctx, { connection, code: "state_used", detail: "state was already used (replay)" });
  }

  let result;
  let jwksUri: string;
  try {
    const config = readConfig(connection);
    const deps = runtimeDeps();
    // The discovery row was skipped when this isolate holds it fresh (checked again here: undefined = read it).
    const discovery = loaded.discoveryKnown ? rememberedDiscovery(config.issuer, Date.now()) : loaded.discovery;
    const server = await serverMetadata(ctx, config, deps, discovery);
    if (!config.endpoints) remember(issuerOfConnection, connection._id, config.issuer);
    if (server.issuer !== stateRow.issuer) throw new OidcError("iss_mismatch", "issuer changed since the login started");
    jwksUri = server.jwks_uri;
    const jwksRow = loaded.jwksUri === jwksUri ? loaded.jwks : await ctx.runQuery(internal.oidc.store.getJwks, { jwksUri });
    const jwks = jwksRow && isFresh(jwksRow.fetchedAt, loaded.now, JWKS_TTL_MS) ? (jwksRow.jwks as JSONWebKeySet) : undefined;
    const cfg = await configurationFor(config, server, deps);
    // openid-client compares the redirect URI it derives from this URL with the one sent at /authorize.
    const callbackUrl = new URL(stateRow.redirectUri);
    callbackUrl.search = url.search;
    result = await completeAuthorization(cfg, config, server, {
      callbackUrl,
      expected: { state: stateRow.state, nonce: stateRow.nonce, codeVerifier: stateRow.codeVerifier },
      jwks,
      now: Date.now(),
    }, deps);
  } catch (e) {
    const err = asOidcError(e);
    return failure(ctx, { connection, code: err.code, detail: err.detail });
  }

  const subject = result.profile.subject;
  const subjectLimit = await ctx.runQuery(internal.limits.checkFailedSignIns, { connectionId: connection._id, subject });
  if (!subjectLimit.ok) return tooManyRequestsPage(subjectLimit.retryAfterSec);
  try {
    const { redirectTo } = await ctx.runMutation(internal.oidc.store.finish, {
      stateId: stateRow._id,
      connectionId: connection._id,
      profile: result.profile,
      groupsNotDelivered: result.groupsNotDelivered,
      groupsAsserted: result.groupsAsserted,
      ...(result.refreshedJwks ? { jwks: { jwksUri, jwks: result.refreshedJwks } } : {}),
    });
    return new Response(null, { status: 302, headers: { location: redirectTo, "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof ConvexError) {
      const data = e.data as { kind?: string; code?: string; message?: string };
      if (data.kind === "OidcError" && (data.code === "state_used" || data.code === "state_invalid")) {
        return failure(ctx, { connection, code: data.code, detail: data.message ?? "", failedSubject: subject });
      }
      if (data.kind === "SignInError") {
        const code = data.code === "account_link_refused" ? data.code : "signin_failed";
        return failure(ctx, { connection, code, detail: `${data.code}: ${data.message ?? ""}`, publicCode: "signin_failed", failedSubject: subject });
      }
    }
    return failure(ctx, { connection, code: "signin_failed", detail: `unexpected ${(e as Error)?.name ?? "error"}`, failedSubject: subject });
  }
}

export const oidcRoutes = httpAction(async (ctx, request) => {
  const m = PATH.exec(new URL(request.url).pathname);
  if (!m) return errorPage({ title: "Not found", message: "Unknown single sign-on address.", status: 404 });
  const [, connection, action] = m as unknown as [string, string, string];
  if (action === "jwks.json") {
    const jwk = await ctx.runQuery(internal.oidc.store.clientPublicJwk, { connection });
    if (!jwk) return json({ error: "not_found" }, 404);
    return json(publicJwks([jwk]), 200, { "cache-control": "public, max-age=300" });
  }
  try {
    return await callback(ctx, request, connection);
  } catch {
    return failure(ctx, { code: "response_invalid", detail: "unexpected failure in the callback" });
  }
});

export function registerOidcRoutes(http: HttpRouter): void {
  http.route({ pathPrefix: "/sso/oidc/", method: "GET", handler: oidcRoutes });
}
