// GET /sso/authorize — the app-facing start of a sign-in (OAuth 2 authorization-request shape).
// authenticate the app → pick the group's connection → store the pending request → hand over to SAML / OIDC.
import { v } from "convex/values";
import { httpAction, internalMutation, type ActionCtx, type MutationCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import { errorPage, tooManyRequestsPage } from "../lib/pages";
import { takeRateLimit } from "../limits";
import { clientAddressKey } from "../../shared/clientAddress";
import { gatewayOptions, siteUrl } from "../lib/env";
import { startSamlLogin } from "../saml/start";
import { startOidcLogin } from "../oidc/start";
import { appByClientId, groupBySlug } from "../lib/lookups";

export type LoginStarter = (
  ctx: ActionCtx,
  args: { connection: Doc<"connections">; authRequestId: Id<"authRequests">; loginHint?: string },
) => Promise<Response>;

const STARTERS: Record<Doc<"connections">["kind"], LoginStarter> = {
  saml: startSamlLogin,
  oidc: startOidcLogin,
};

const MAX_STATE = 1024;

/** Validates client_id + exact redirect_uri. Shared with the local gateway's dev sign-in. */
export async function appForRedirect(ctx: MutationCtx, clientId: string, redirectUri: string) {
  const app = await appByClientId(ctx, clientId);
  if (!app) return { error: "unknown client_id" } as const;
  if (!app.redirectUris.includes(redirectUri)) return { error: "redirect_uri is not registered for this app" } as const;
  return { app } as const;
}

export async function insertAuthRequest(
  ctx: MutationCtx,
  args: { appId: Id<"apps">; redirectUri: string; state?: string; codeChallenge: string; groupId: Id<"groups">; connectionId?: Id<"connections"> },
) {
  return ctx.db.insert("authRequests", { ...args, expiresAt: Date.now() + gatewayOptions().authRequest.ttlMs });
}

type BeginResult =
  | { kind: "ok"; authRequestId: Id<"authRequests">; connection: Doc<"connections"> }
  | { kind: "page"; message: string }
  | { kind: "redirect"; error: string; description: string }
  | { kind: "limited"; retryAfterSec: number };

export const begin = internalMutation({
  args: {
    clientId: v.string(),
    redirectUri: v.string(),
    state: v.optional(v.string()),
    codeChallenge: v.optional(v.string()),
    codeChallengeMethod: v.optional(v.string()),
    responseType: v.optional(v.string()),
    connection: v.optional(v.string()),
    group: v.optional(v.string()),
    loginHint: v.optional(v.string()),
    address: v.string(), // the client address key (src/shared/clientAddress.ts)
  },
  handler: async (ctx, a): Promise<BeginResult> => {
    const found = await appForRedirect(ctx, a.clientId, a.redirectUri);
    if ("error" in found) return { kind: "page", message: `The application's sign-in link is not valid: ${found.error}.` };
    const byAddress = await takeRateLimit(ctx, "authorize", { address: a.address });
    if (!byAddress.ok) return { kind: "limited", retryAfterSec: byAddress.retryAfterSec };
    const redirectError = (error: string, description: string): BeginResult => ({ kind: "redirect", error, description });
    if (a.responseType !== undefined && a.responseType !== "code") {
      return redirectError("unsupported_response_type", 'only response_type "code" is supported');
    }
    if (!a.codeChallenge || a.codeChallengeMethod !== "S256") {
      return redirectError("invalid_request", "PKCE is required: code_challenge with code_challenge_method S256");
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(a.codeChallenge)) {
      return redirectError("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)");
    }
    if (a.state !== undefined && a.state.length > MAX_STATE) return redirectError("invalid_request", "state is too long");

    // The connection and its group, each read once: the group found by slug or domain is the connection's group.
    let connection: Doc<"connections"> | null = null;
    let group: Doc<"groups"> | null = null;
    if (a.connection) {
      const id = ctx.db.normalizeId("connections", a.connection);
      connection = id ? await ctx.db.get(id) : null;
      if (!connection) return redirectError("invalid_request", "unknown connection");
      group = await ctx.db.get(connection.groupId);
    } else {
      if (a.group) {
        group = await groupBySlug(ctx, a.group!);
        if (!group) return redirectError("invalid_request", "unknown group");
      } else if (a.loginHint) {
        const domain = a.loginHint.split("@").pop()!.trim().toLowerCase();
        // Only a verified domain (vouched for by the operator, or proven over DNS in the setup portal) routes a sign-in.
        const claims = await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", domain)).take(20);
        const claimed = claims.find((d) => d.verified);
        group = claimed ? await ctx.db.get(claimed.groupId) : null;
        if (!group) return redirectError("invalid_request", "no single sign-on is set up for this email domain");
      } else {
        return redirectError("invalid_request", "one of connection, group or login_hint is required");
      }
      const groupId = group._id;
      const connections = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(50);
      connection = connections.find((c) => c.status === "active") ?? null;
      if (!connection) return redirectError("invalid_request", "the group has no active single sign-on connection");
    }
    if (connection.status !== "active") return redirectError("invalid_request", "the connection is disabled");
    if (!group || group.disabledAt !== undefined) return redirectError("access_denied", "the organisation's sign-in is disabled");
    const byConnection = await takeRateLimit(ctx, "authorize", { scope: connection._id });
    if (!byConnection.ok) return { kind: "limited", retryAfterSec: byConnection.retryAfterSec };

    const authRequestId = await insertAuthRequest(ctx, {
      appId: found.app._id,
      redirectUri: a.redirectUri,
      state: a.state,
      codeChallenge: a.codeChallenge,
      groupId: connection.groupId,
      connectionId: connection._id,
    });
    return { kind: "ok", authRequestId, connection };
  },
});

export const authorize = httpAction(async (ctx, request) => {
  const q = new URL(request.url).searchParams;
  const clientId = q.get("client_id");
  const redirectUri = q.get("redirect_uri");
  if (!clientId || !redirectUri) {
    return errorPage({ title: "Sign-in link is not valid", message: "client_id and redirect_uri are required." });
  }
  const param = (name: string) => q.get(name) ?? undefined;
  const loginHint = param("login_hint") ?? param("email");
  const result = await ctx.runMutation(internal.sso.authorize.begin, {
    clientId,
    redirectUri,
    state: param("state"),
    codeChallenge: param("code_challenge"),
    codeChallengeMethod: param("code_challenge_method"),
    responseType: param("response_type"),
    connection: param("connection"),
    group: param("group"),
    loginHint,
    address: clientAddressKey(request.headers),
  });
  if (result.kind === "limited") return tooManyRequestsPage(result.retryAfterSec);
  if (result.kind === "page") return errorPage({ title: "Sign-in link is not valid", message: result.message });
  if (result.kind === "redirect") {
    // RFC 6749 §4.1.2.1: once the redirect URI is known good, errors go back to the app.
    const to = new URL(redirectUri);
    to.searchParams.set("error", result.error);
    to.searchParams.set("error_description", result.description);
    to.searchParams.set("iss", siteUrl()); // RFC 9207 §2: every authorization response names the issuer
    const state = param("state");
    if (state !== undefined) to.searchParams.set("state", state);
    return new Response(null, { status: 302, headers: { location: to.toString(), "cache-control": "no-store" } });
  }
  return STARTERS[result.connection.kind](ctx, {
    connection: result.connection,
    authRequestId: result.authRequestId,
    loginHint,
  });
});
