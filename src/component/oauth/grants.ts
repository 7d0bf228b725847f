// The token endpoint's transactions. Each grant is one mutation: it either succeeds whole or writes nothing,
// except that presenting a spent code or refresh token revokes the session it belongs to (RFC 6749 §4.1.2,
// OAuth 2.0 Security BCP §4.14) — that revocation is returned as an error value so that it commits.
import { v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "../lib/functions";
import type { Doc, Id } from "../_generated/dataModel";
import type { OAuthErrorValue } from "../../oauth/errors";
import type { SessionClaims } from "../../session/tokens";
import { timingSafeEqual } from "../lib/crypto";
import { gatewayOptions } from "../lib/env";
import { logEvent } from "../signin";
import { appByClientId } from "../lib/lookups";

export type GrantResult =
  | { ok: true; claims: SessionClaims; audience: string; refreshExpiresAt: number }
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

/** Why a session can no longer be used, or null when it is live. */
export function sessionProblem(session: Doc<"sessions">, now: number): string | null {
  if (session.revokedAt !== undefined) return "the session was revoked";
  if (session.expiresAt <= now) return "the session has expired";
  if (session.lastUsedAt + gatewayOptions().session.inactiveDurationMs <= now) return "the session expired after inactivity";
  return null;
}

async function claimsFor(ctx: MutationCtx, session: Doc<"sessions">): Promise<SessionClaims | string> {
  const [user, group] = await Promise.all([ctx.db.get(session.userId), ctx.db.get(session.groupId)]);
  if (!user || !group) return "the user or group no longer exists";
  const membership = await ctx.db
    .query("memberships")
    .withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", user._id))
    .unique();
  if (!membership || membership.status !== "active") return "the user is no longer a member of the group";
  const claims: SessionClaims = {
    sub: user._id,
    sid: session._id,
    group_id: group._id,
    group: group.slug,
    role: membership.role,
    roles: membership.roles,
    auth_method: session.authMethod,
    email_verified: user.emailVerified,
  };
  if (session.connectionId) claims.connection_id = session.connectionId;
  if (user.email) claims.email = user.email;
  if (user.name) claims.name = user.name;
  return claims;
}

async function issueRefreshToken(ctx: MutationCtx, session: Doc<"sessions">, hash: string, now: number) {
  await ctx.db.insert("refreshTokens", { sessionId: session._id, hash, createdAt: now, expiresAt: session.expiresAt });
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
    const problem = sessionProblem(session, now);
    if (problem) return fail("invalid_grant", problem);
    const claims = await claimsFor(ctx, session);
    if (typeof claims === "string") return fail("invalid_grant", claims);
    await ctx.db.patch(code._id, { usedAt: now });
    await ctx.db.patch(session._id, { lastUsedAt: now });
    await issueRefreshToken(ctx, session, a.refreshHash, now);
    return { ok: true, claims, audience: app.audience, refreshExpiresAt: session.expiresAt };
  },
});

export const refresh = internalMutation({
  args: { clientId: v.string(), tokenHash: v.string(), refreshHash: v.string() },
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
    const problem = sessionProblem(session, now) ?? (token.expiresAt <= now ? "the refresh token has expired" : null);
    if (problem) return fail("invalid_grant", problem);
    const claims = await claimsFor(ctx, session);
    if (typeof claims === "string") return fail("invalid_grant", claims);
    // Within the grace window a second tab gets its own successor; the spent token stays spent.
    if (token.usedAt === undefined) await ctx.db.patch(token._id, { usedAt: now });
    await ctx.db.patch(session._id, { lastUsedAt: now });
    await issueRefreshToken(ctx, session, a.refreshHash, now);
    return { ok: true, claims, audience: app.audience, refreshExpiresAt: session.expiresAt };
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
