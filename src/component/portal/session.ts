// Portal sessions: redeeming a setup link (single use) opens one; the cookie holds a random value whose
// SHA-256 is the row's key; each session has its own CSRF token. Every portal action is an audited event.
import { v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "../lib/functions";
import type { Doc } from "../_generated/dataModel";
import { randomToken, sha256b64url } from "../lib/crypto";
import { logEvent } from "../signin";

export const SESSION_TTL_MS = 60 * 60 * 1000;

export type LinkState = "open" | "used" | "expired" | "revoked";
type LinkRow = { expiresAt: number; usedAt?: number; revokedAt?: number };
export type LinkLookup<L extends LinkRow> = { kind: "ok"; link: L } | { kind: "unknown" | "used" | "expired" | "revoked" };

export function linkState(l: LinkRow, now: number): LinkState {
  return l.revokedAt !== undefined ? "revoked" : l.usedAt !== undefined ? "used" : l.expiresAt <= now ? "expired" : "open";
}

/** A fresh link token (`prefix` + 43 base64url characters) and the SHA-256 that is stored instead of it. */
export async function mintLinkToken(prefix: string): Promise<{ token: string; hash: string }> {
  const token = `${prefix}${randomToken(32)}`;
  return { token, hash: await sha256b64url(token) };
}

/** A link token (setup link `psl_`, operator link `pol_`) → its row, if it may still be redeemed. */
export async function lookupLink<L extends LinkRow>(token: string, prefix: string, byHash: (hash: string) => Promise<L | null>): Promise<LinkLookup<L>> {
  if (!token.startsWith(prefix) || !/^[A-Za-z0-9_-]{43}$/.test(token.slice(prefix.length))) return { kind: "unknown" };
  const link = await byHash(await sha256b64url(token));
  if (!link) return { kind: "unknown" };
  const state = linkState(link, Date.now());
  return state === "open" ? { kind: "ok", link } : { kind: state };
}

/** A new session's secrets: the cookie value (returned once), its SHA-256 (stored), a CSRF token, its expiry. */
export async function newSessionSecrets(now: number, notAfter: number, ttlMs = SESSION_TTL_MS) {
  const cookie = randomToken(32);
  const expiresAt = Math.min(now + ttlMs, notAfter);
  return { cookie, hash: await sha256b64url(cookie), csrf: randomToken(24), expiresAt, maxAgeSec: Math.max(1, Math.floor((expiresAt - now) / 1000)) };
}

/** Spend a link (single use) and mint the secrets of the session it opens (which ends by `notAfter` at the latest). */
export async function spendLink(ctx: MutationCtx, link: Doc<"portalLinks"> | Doc<"operatorLinks">, notAfter: number) {
  const now = Date.now();
  await ctx.db.patch(link._id, { usedAt: now });
  return { now, ...(await newSessionSecrets(now, notAfter)) };
}

/** The stored hash a session cookie value names, or null when the value cannot be one. */
export async function cookieHash(cookie: string | undefined): Promise<string | null> {
  return cookie && /^[A-Za-z0-9_-]{43}$/.test(cookie) ? sha256b64url(cookie) : null;
}

const linkByToken = (ctx: QueryCtx, token: string) =>
  lookupLink(token, "psl_", (hash) => ctx.db.query("portalLinks").withIndex("by_hash", (q) => q.eq("hash", hash)).unique());

/** What the GET of a link may show (nothing is consumed): the group's name, or why the link is no good. */
export const inspectLink = internalQuery({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    const found = await linkByToken(ctx, token);
    if (found.kind !== "ok") return { ok: false as const, reason: found.kind };
    const group = await ctx.db.get(found.link.groupId);
    return { ok: true as const, groupName: group?.name ?? "your organisation" };
  },
});

/** POST of a link: consume it (single use) and open a session. Returns the cookie value once. */
export const redeem = internalMutation({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    const found = await linkByToken(ctx, token);
    if (found.kind !== "ok") return { ok: false as const, reason: found.kind };
    const link = found.link;
    const { now, cookie, hash, csrf, expiresAt, maxAgeSec } = await spendLink(ctx, link, link.expiresAt);
    const sessionId = await ctx.db.insert("portalSessions", { linkId: link._id, groupId: link.groupId, hash, csrf, intents: link.intents, createdAt: now, expiresAt });
    await logEvent(ctx, "portal.session.opened", link.groupId, { linkId: link._id, portalSessionId: sessionId });
    return { ok: true as const, cookie, maxAgeSec };
  },
});

export type PortalSession = {
  sessionId: Doc<"portalSessions">["_id"];
  groupId: Doc<"groups">["_id"];
  groupName: string;
  intents: Doc<"portalSessions">["intents"];
  csrf: string;
  expiresAt: number;
};

/** The session a cookie value names, if it is live (not expired, not revoked, its link not revoked). */
export async function sessionByCookie(ctx: QueryCtx, cookie: string | undefined): Promise<PortalSession | null> {
  const hash = await cookieHash(cookie);
  if (!hash) return null;
  const s = await ctx.db.query("portalSessions").withIndex("by_hash", (q) => q.eq("hash", hash)).unique();
  if (!s || s.revokedAt !== undefined || s.expiresAt <= Date.now()) return null;
  const link = await ctx.db.get(s.linkId);
  if (!link || link.revokedAt !== undefined) return null;
  const group = await ctx.db.get(s.groupId);
  if (!group) return null;
  return { sessionId: s._id, groupId: s.groupId, groupName: group.name, intents: s.intents, csrf: s.csrf, expiresAt: s.expiresAt };
}

export const current = internalQuery({
  args: { cookie: v.optional(v.string()) },
  handler: (ctx, { cookie }) => sessionByCookie(ctx, cookie),
});

/** Sign out of a portal or operator session: true when this call closed it (false: gone or closed already). */
export async function closeSession(ctx: MutationCtx, s: Doc<"portalSessions"> | Doc<"operatorSessions"> | null): Promise<boolean> {
  if (!s || s.revokedAt !== undefined) return false;
  await ctx.db.patch(s._id, { revokedAt: Date.now() });
  return true;
}

export const logout = internalMutation({
  args: { sessionId: v.id("portalSessions") },
  returns: v.null(),
  handler: async (ctx, { sessionId }) => {
    const s = await ctx.db.get(sessionId);
    if (s && (await closeSession(ctx, s))) await logEvent(ctx, "portal.session.closed", s.groupId, { portalSessionId: sessionId });
    return null;
  },
});

/** Audit: one event per portal action, naming the session it came from. */
export const audit = internalMutation({
  args: { sessionId: v.id("portalSessions"), type: v.string(), data: v.any() },
  returns: v.null(),
  handler: async (ctx, { sessionId, type, data }) => {
    const s = await ctx.db.get(sessionId);
    if (!s) return null;
    await logEvent(ctx, type, s.groupId, { ...(data ?? {}), portalSessionId: sessionId });
    return null;
  },
});
