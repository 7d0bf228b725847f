// The token endpoint's transactions. Each grant is one mutation: it either succeeds whole or writes nothing,
// except that presenting a spent code or refresh token revokes the session it belongs to (RFC 6749 §4.1.2,
// OAuth 2.0 Security BCP §4.14) — that revocation is returned as an error value so that it commits.
import { ConvexError, v } from "convex/values";
import { internal } from "../_generated/api";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "../lib/functions";
import type { Doc, Id } from "../_generated/dataModel";
import type { OAuthErrorValue } from "../../oauth/errors";
import type { SessionClaims } from "../../session/tokens";
import { timingSafeEqual } from "../lib/crypto";
import { gatewayOptions } from "../lib/env";
import { logEvent } from "../signin";
import { appByClientId } from "../lib/lookups";

export type GrantResult =
  /** `reissue`: a refresh grant inside the reuse grace window hands out this (sealed) existing successor. */
  | { ok: true; claims: SessionClaims; audience: string; refreshExpiresAt: number; reissue?: string }
  | ({ ok: false } & OAuthErrorValue);

const fail = (error: OAuthErrorValue["error"], error_description: string): GrantResult => ({
  ok: false,
  error,
  error_description,
});

export async function revokeSession(ctx: MutationCtx, session: Doc<"sessions">, reason: string) {
  const now = Date.now();
  if (session.revokedAt === undefined) {
    await ctx.db.patch(session._id, { revokedAt: now, revokedReason: reason });
    await logEvent(ctx, "session.revoked", session.groupId, { sessionId: session._id, reason });
  }
  const tokens = await ctx.db.query("refreshTokens").withIndex("by_session", (q) => q.eq("sessionId", session._id)).collect();
  for (const t of tokens) await ctx.db.delete(t._id);
}

/** Revoke every live session of a user in a group (SCIM deprovisioning, SLO, admin). */
export async function revokeUserSessions(ctx: MutationCtx, groupId: Id<"groups">, userId: Id<"users">, reason: string) {
  const sessions = await ctx.db
    .query("sessions")
    .withIndex("by_group_and_user", (q) => q.eq("groupId", groupId).eq("userId", userId))
    .collect();
  for (const s of sessions) if (s.revokedAt === undefined) await revokeSession(ctx, s, reason);
}

const REVOKE_BATCH = 200;

/** Whose sessions a bulk revocation ends: those that came through one connection, or all of one group. */
const sessionScope = v.union(v.object({ connectionId: v.id("connections") }), v.object({ groupId: v.id("groups") }));
type SessionScope = { connectionId: Id<"connections"> } | { groupId: Id<"groups"> };

function liveSessionsOf(ctx: MutationCtx, scope: SessionScope) {
  const sessions = ctx.db.query("sessions");
  return "connectionId" in scope
    ? sessions.withIndex("by_connectionId_and_revokedAt", (q) => q.eq("connectionId", scope.connectionId).eq("revokedAt", undefined))
    : sessions.withIndex("by_groupId_and_revokedAt", (q) => q.eq("groupId", scope.groupId).eq("revokedAt", undefined));
}

/**
 * Revoke the live sessions of a connection or a group, a batch per transaction, continuing in a scheduled call
 * until none is left. Refresh and introspection already refuse them from the moment the connection or group is
 * not active (sessionProblem); the batches are for the session.revoked events and the refresh-token rows.
 */
export async function revokeScopedSessions(ctx: MutationCtx, scope: SessionScope, reason: string) {
  const sessions = await liveSessionsOf(ctx, scope).take(REVOKE_BATCH);
  for (const s of sessions) await revokeSession(ctx, s, reason);
  if (sessions.length === REVOKE_BATCH) {
    await ctx.scheduler.runAfter(0, internal.oauth.grants.revokeScopedSessionsBatch, { scope, reason });
  }
}

export const revokeConnectionSessions = (ctx: MutationCtx, connectionId: Id<"connections">, reason: string) =>
  revokeScopedSessions(ctx, { connectionId }, reason);

export const revokeScopedSessionsBatch = internalMutation({
  args: { scope: sessionScope, reason: v.string() },
  returns: v.null(),
  handler: async (ctx, { scope, reason }) => {
    await revokeScopedSessions(ctx, scope, reason);
    return null;
  },
});

/** Enable or disable any SSO connection (SAML or OIDC). Disabling revokes every session it created. */
export const setConnectionStatus = internalMutation({
  args: { connectionId: v.id("connections"), status: v.union(v.literal("active"), v.literal("disabled")) },
  returns: v.null(),
  handler: async (ctx, { connectionId, status }) => {
    const connection = await ctx.db.get(connectionId);
    if (!connection) throw new ConvexError({ kind: "AdminError", path: "connectionId", message: "no such connection" });
    if (connection.status === status) return null;
    await ctx.db.patch(connectionId, { status, updatedAt: Date.now() });
    if (status === "disabled") await revokeConnectionSessions(ctx, connectionId, "connection disabled");
    // The catalogue's names (src/events/catalogue.ts), as the SAML admin's status change records them.
    await logEvent(ctx, status === "disabled" ? "connection.deactivated" : "connection.activated", connection.groupId, { connectionId, kind: connection.kind });
    return null;
  },
});

/** Why a session can no longer be used, or null when it is live (refresh and introspection share this). */
export async function sessionProblem(ctx: QueryCtx, session: Doc<"sessions">, now: number): Promise<string | null> {
  return problemWith(ctx, session, await ctx.db.get(session.groupId), now);
}

async function problemWith(ctx: QueryCtx, session: Doc<"sessions">, group: Doc<"groups"> | null, now: number): Promise<string | null> {
  if (session.revokedAt !== undefined) return "the session was revoked";
  if (session.expiresAt <= now) return "the session has expired";
  if (session.lastUsedAt + gatewayOptions().session.inactiveDurationMs <= now) return "the session expired after inactivity";
  // A disabled (or deleted) group or connection ends its sessions at once, even before the revocation batches finish.
  if (!group || group.disabledAt !== undefined) return "the group is disabled";
  if (session.connectionId) {
    const connection = await ctx.db.get(session.connectionId);
    if (!connection || connection.status !== "active") return "the sign-in connection is disabled";
  }
  return null;
}

/** The claims of a live session's next token, or why there is none (the group is read once for both). */
export async function liveSessionClaims(ctx: QueryCtx, session: Doc<"sessions">, now: number): Promise<SessionClaims | string> {
  const group = await ctx.db.get(session.groupId);
  return (await problemWith(ctx, session, group, now)) ?? (await claimsFor(ctx, session, group!));
}

async function claimsFor(ctx: QueryCtx, session: Doc<"sessions">, group: Doc<"groups">): Promise<SessionClaims | string> {
  const [user, app] = await Promise.all([ctx.db.get(session.userId), ctx.db.get(session.appId)]);
  if (!user || !app) return "the user or app no longer exists";
  const membership = await ctx.db
    .query("memberships")
    .withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", user._id))
    .unique();
  if (!membership || membership.status !== "active") return "the user is no longer a member of the group";
  // The person as this group's own sources describe them (membership), never another tenant's IdP; the user
  // row only for memberships written before per-group profiles existed. email_verified: this group's rule only.
  const claims: SessionClaims = {
    sub: user._id,
    sid: session._id,
    azp: app.clientId,
    group_id: group._id,
    group: group.slug,
    role: membership.role,
    roles: membership.roles,
    auth_method: session.authMethod,
    email_verified: membership.emailVerified === true,
  };
  if (session.connectionId) claims.connection_id = session.connectionId;
  const email = membership.email ?? user.email;
  const name = membership.name ?? user.name;
  if (email) claims.email = email;
  if (name) claims.name = name;
  return claims;
}

async function issueRefreshToken(ctx: MutationCtx, session: Doc<"sessions">, hash: string, now: number) {
  return ctx.db.insert("refreshTokens", { sessionId: session._id, hash, createdAt: now, expiresAt: session.expiresAt });
}

/**
 * Inside the grace window a spent token is answered with the chain's current head, the one live token of the
 * session: follow `successorId` from the spent row; the head's sealed copy sits on its predecessor.
 */
async function sealedHead(ctx: MutationCtx, spent: Doc<"refreshTokens">): Promise<string | null> {
  let row = spent;
  for (let hops = 0; hops < 64; hops++) {
    if (!row.successorId || !row.sealedSuccessor) return null;
    const next = await ctx.db.get(row.successorId);
    if (!next) return null;
    if (next.usedAt === undefined) return row.sealedSuccessor;
    row = next;
  }
  return null;
}

export const exchangeCode = internalMutation({
  args: {
    clientId: v.string(),
    codeHash: v.string(),
    redirectUri: v.string(),
    verifierChallenge: v.string(), // S256 of the presented code_verifier, computed by the HTTP action
    refreshHash: v.string(), // hash of the refresh token the HTTP action will hand out
  },
  handler: async (ctx, a): Promise<GrantResult> => {
    const now = Date.now();
    const app = await appByClientId(ctx, a.clientId);
    if (!app) return fail("invalid_client", "unknown client_id");
    const code = await ctx.db.query("authCodes").withIndex("by_hash", (q) => q.eq("hash", a.codeHash)).unique();
    if (!code || code.appId !== app._id) return fail("invalid_grant", "the code is not valid for this client");
    const session = await ctx.db.get(code.sessionId);
    if (!session) return fail("invalid_grant", "the code is not valid for this client");
    if (code.usedAt !== undefined) {
      await revokeSession(ctx, session, "authorization code reused");
      return fail("invalid_grant", "the code was already used; the session it created is revoked");
    }
    if (code.expiresAt <= now) return fail("invalid_grant", "the code has expired");
    if (code.redirectUri !== a.redirectUri) return fail("invalid_grant", "redirect_uri does not match the authorization request");
    if (!timingSafeEqual(code.codeChallenge, a.verifierChallenge)) return fail("invalid_grant", "code_verifier does not match code_challenge");
    const claims = await liveSessionClaims(ctx, session, now);
    if (typeof claims === "string") return fail("invalid_grant", claims);
    await ctx.db.patch(code._id, { usedAt: now });
    await ctx.db.patch(session._id, { lastUsedAt: now });
    await issueRefreshToken(ctx, session, a.refreshHash, now);
    return { ok: true, claims, audience: app.audience, refreshExpiresAt: session.expiresAt };
  },
});

export const refresh = internalMutation({
  args: {
    clientId: v.string(),
    tokenHash: v.string(),
    refreshHash: v.string(),
    sealedRefresh: v.string(), // the same new token sealed, kept on the spent row for the grace window
  },
  handler: async (ctx, a): Promise<GrantResult> => {
    const now = Date.now();
    const app = await appByClientId(ctx, a.clientId);
    if (!app) return fail("invalid_client", "unknown client_id");
    const token = await ctx.db.query("refreshTokens").withIndex("by_hash", (q) => q.eq("hash", a.tokenHash)).unique();
    if (!token) return fail("invalid_grant", "the refresh token is not valid");
    const session = await ctx.db.get(token.sessionId);
    if (!session || session.appId !== app._id) return fail("invalid_grant", "the refresh token is not valid");
    if (token.usedAt !== undefined && now - token.usedAt > gatewayOptions().refreshToken.reuseGraceMs) {
      // A spent token came back after the grace window: assume it was stolen and end the session.
      await revokeSession(ctx, session, "refresh token reused");
      return fail("invalid_grant", "the refresh token was already used; the session is revoked");
    }
    if (token.expiresAt <= now) return fail("invalid_grant", "the refresh token has expired");
    const claims = await liveSessionClaims(ctx, session, now);
    if (typeof claims === "string") return fail("invalid_grant", claims);
    const granted = { ok: true as const, claims, audience: app.audience, refreshExpiresAt: session.expiresAt };
    if (token.usedAt !== undefined) {
      // Concurrent tabs inside the grace window: the same successor again (idempotent), never a second chain.
      const reissue = await sealedHead(ctx, token);
      if (!reissue) return fail("invalid_grant", "the refresh token was already used");
      await ctx.db.patch(session._id, { lastUsedAt: now });
      return { ...granted, reissue };
    }
    await ctx.db.patch(session._id, { lastUsedAt: now });
    const successorId = await issueRefreshToken(ctx, session, a.refreshHash, now);
    await ctx.db.patch(token._id, { usedAt: now, successorId, sealedSuccessor: a.sealedRefresh });
    return granted;
  },
});

/** RFC 7009: revoke the session a refresh token belongs to. Unknown tokens are not an error (§2.2). */
export const revoke = internalMutation({
  args: { clientId: v.string(), tokenHash: v.string() },
  handler: async (ctx, a): Promise<{ ok: true } | ({ ok: false } & OAuthErrorValue)> => {
    const app = await appByClientId(ctx, a.clientId);
    if (!app) return { ok: false, error: "invalid_client", error_description: "unknown client_id" };
    const token = await ctx.db.query("refreshTokens").withIndex("by_hash", (q) => q.eq("hash", a.tokenHash)).unique();
    if (!token) return { ok: true };
    const session = await ctx.db.get(token.sessionId);
    if (session && session.appId === app._id) await revokeSession(ctx, session, "signed out");
    return { ok: true };
  },
});

export type IntrospectionResult = { client: "unknown" } | { client: "known"; active: boolean };

/**
 * RFC 7662 §2.2, the database half: a verified access token is active only while its session is live, belongs
 * to the calling app, and still names the same user and group (the HTTP action has checked signature and exp).
 */
export const introspect = internalQuery({
  args: { clientId: v.string(), sid: v.string(), sub: v.string(), groupId: v.string() },
  handler: async (ctx, a): Promise<IntrospectionResult> => {
    const app = await appByClientId(ctx, a.clientId);
    if (!app) return { client: "unknown" };
    const sessionId = ctx.db.normalizeId("sessions", a.sid);
    const session = sessionId ? await ctx.db.get(sessionId) : null;
    if (!session || session.appId !== app._id || session.userId !== a.sub || session.groupId !== a.groupId) {
      return { client: "known", active: false };
    }
    const claims = await liveSessionClaims(ctx, session, Date.now());
    return { client: "known", active: typeof claims !== "string" };
  },
});

/** CORS: an origin is allowed when it is the origin of one of an app's registered redirect URIs. */
export const originAllowed = internalQuery({
  args: { origin: v.string() },
  handler: async (ctx, { origin }) => {
    const apps = await ctx.db.query("apps").take(1000);
    return apps.some((app) => app.redirectUris.some((u) => safeOrigin(u) === origin));
  },
});

export function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
