// Operator links and sessions: the app team's way into the operator page (/portal/operator/). A link is minted by
// the deployment admin (`npm run admin -- operator-link`, admin:run) or by `SsoGateway.createOperatorLink(ctx)` for
// a signed-in member holding `gateway:admin`; it is single-use, expires in minutes, and only its SHA-256 is
// stored. Redeeming it opens an operator session (cookie + CSRF token) with the setup portal's machinery
// (./session.ts). Every operator action is an audited event naming the operator session.
import { ConvexError, v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import { internalMutation, internalQuery, type QueryCtx } from "../lib/functions";
import { siteUrl } from "../lib/env";
import { logEvent } from "../signin";
import { closeSession, cookieHash, lookupLink, mintLinkToken, spendLink } from "./session";

export const OPERATOR_LINK_PREFIX = "pol_";
const DEFAULT_LINK_MINUTES = 15;

const operatorError = (code: string, message: string) => new ConvexError({ kind: "OperatorLinkError", code, message });

export const createLink = internalMutation({
  args: { createdBy: v.optional(v.string()), expiresInMinutes: v.optional(v.number()) },
  returns: v.object({ linkId: v.id("operatorLinks"), url: v.string(), expiresAt: v.number() }),
  handler: async (ctx, a) => {
    const minutes = a.expiresInMinutes ?? DEFAULT_LINK_MINUTES;
    if (!(minutes > 0 && minutes <= 60)) throw operatorError("invalid_expiry", "expiresInMinutes must be more than 0 and at most 60");
    const { token, hash } = await mintLinkToken(OPERATOR_LINK_PREFIX);
    const now = Date.now();
    const expiresAt = now + Math.round(minutes * 60_000);
    const createdBy = a.createdBy?.slice(0, 200);
    const linkId = await ctx.db.insert("operatorLinks", { hash, createdAt: now, expiresAt, ...(createdBy ? { createdBy } : {}) });
    await logEvent(ctx, "operator.link.created", undefined, { linkId, expiresAt, createdBy: createdBy ?? null });
    return { linkId, url: `${siteUrl()}/portal/operator/link?t=${token}`, expiresAt };
  },
});

const linkByToken = (ctx: QueryCtx, token: string) =>
  lookupLink(token, OPERATOR_LINK_PREFIX, (hash) => ctx.db.query("operatorLinks").withIndex("by_hash", (q) => q.eq("hash", hash)).unique());

/** The GET of a link: nothing consumed; ok, or why not. */
export const inspectLink = internalQuery({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    const found = await linkByToken(ctx, token);
    return found.kind === "ok" ? { ok: true as const } : { ok: false as const, reason: found.kind };
  },
});

/** The POST of a link: consume it and open a session (one hour; the link itself lives only minutes). */
export const redeem = internalMutation({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    const found = await linkByToken(ctx, token);
    if (found.kind !== "ok") return { ok: false as const, reason: found.kind };
    const { now, cookie, hash, csrf, expiresAt, maxAgeSec } = await spendLink(ctx, found.link, Infinity); // one hour: the minutes-long link does not shorten it
    const sessionId = await ctx.db.insert("operatorSessions", { linkId: found.link._id, hash, csrf, createdAt: now, expiresAt });
    await logEvent(ctx, "operator.session.opened", undefined, { linkId: found.link._id, operatorSessionId: sessionId, createdBy: found.link.createdBy ?? null });
    return { ok: true as const, cookie, maxAgeSec };
  },
});

export type OperatorSession = { sessionId: Id<"operatorSessions">; csrf: string; expiresAt: number; createdBy: string | null };

export const current = internalQuery({
  args: { cookie: v.optional(v.string()) },
  handler: async (ctx, { cookie }): Promise<OperatorSession | null> => {
    const hash = await cookieHash(cookie);
    if (!hash) return null;
    const s = await ctx.db.query("operatorSessions").withIndex("by_hash", (q) => q.eq("hash", hash)).unique();
    if (!s || s.revokedAt !== undefined || s.expiresAt <= Date.now()) return null;
    const link: Doc<"operatorLinks"> | null = await ctx.db.get(s.linkId);
    if (!link || link.revokedAt !== undefined) return null;
    return { sessionId: s._id, csrf: s.csrf, expiresAt: s.expiresAt, createdBy: link.createdBy ?? null };
  },
});

export const logout = internalMutation({
  args: { sessionId: v.id("operatorSessions") },
  returns: v.null(),
  handler: async (ctx, { sessionId }) => {
    if (await closeSession(ctx, await ctx.db.get(sessionId))) await logEvent(ctx, "operator.session.closed", undefined, { operatorSessionId: sessionId });
    return null;
  },
});

/** Withdraw an operator link (and so every session it opened). */
export const revokeLink = internalMutation({
  args: { linkId: v.id("operatorLinks") },
  returns: v.null(),
  handler: async (ctx, { linkId }) => {
    const link = await ctx.db.get(linkId);
    if (!link) throw operatorError("unknown_link", "no such operator link");
    if (link.revokedAt === undefined) {
      await ctx.db.patch(linkId, { revokedAt: Date.now() });
      await logEvent(ctx, "operator.link.revoked", undefined, { linkId });
    }
    return null;
  },
});

/** Audit: one event per operator action, naming the operator session (and the group it touched). */
export const audit = internalMutation({
  args: { sessionId: v.id("operatorSessions"), type: v.string(), groupId: v.optional(v.id("groups")), data: v.any() },
  returns: v.null(),
  handler: async (ctx, { sessionId, type, groupId, data }) => {
    await logEvent(ctx, type, groupId, { ...(data ?? {}), operatorSessionId: sessionId });
    return null;
  },
});
