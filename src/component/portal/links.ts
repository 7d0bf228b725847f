// Setup links: what the app's operator hands to a customer's IT admin. A link is a single-use capability for
// one group and some intents; only its SHA-256 is stored. `npm run admin -- portal/links:create '{"group":"demo"}'`.
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { portalIntent } from "../tables/portal";
import { randomToken, sha256b64url } from "../lib/crypto";
import { siteUrl } from "../lib/env";
import { groupBySlug } from "../lib/lookups";
import { logEvent } from "../signin";

const DAY = 86_400_000;
export const ALL_INTENTS = ["sso", "scim", "domains", "traces"] as const;

const linkError = (code: string, message: string) => new ConvexError({ kind: "PortalLinkError", code, message });

export const create = internalMutation({
  args: {
    group: v.string(), // slug
    intents: v.optional(v.array(portalIntent)),
    expiresInDays: v.optional(v.number()),
    createdBy: v.optional(v.string()),
  },
  returns: v.object({ linkId: v.id("portalLinks"), url: v.string(), expiresAt: v.number(), intents: v.array(portalIntent) }),
  handler: async (ctx, a) => {
    const group = await groupBySlug(ctx, a.group);
    if (!group) throw linkError("unknown_group", `no group "${a.group}"`);
    const days = a.expiresInDays ?? 7;
    if (!(days > 0 && days <= 30)) throw linkError("invalid_expiry", "expiresInDays must be more than 0 and at most 30");
    const intents = [...new Set(a.intents ?? ALL_INTENTS)];
    if (intents.length === 0) throw linkError("invalid_intents", "intents must name at least one of sso, scim, domains, traces");
    const token = `psl_${randomToken(32)}`;
    const now = Date.now();
    const expiresAt = now + Math.round(days * DAY);
    const linkId = await ctx.db.insert("portalLinks", {
      groupId: group._id,
      hash: await sha256b64url(token),
      intents,
      createdAt: now,
      expiresAt,
      ...(a.createdBy ? { createdBy: a.createdBy } : {}),
    });
    await logEvent(ctx, "portal.link.created", group._id, { linkId, intents, expiresAt, createdBy: a.createdBy ?? null });
    return { linkId, url: `${siteUrl()}/portal/link?t=${token}`, expiresAt, intents };
  },
});

/** Revoking a link also ends every portal session it opened. */
export const revoke = internalMutation({
  args: { linkId: v.id("portalLinks") },
  returns: v.null(),
  handler: async (ctx, { linkId }) => {
    const link = await ctx.db.get(linkId);
    if (!link) throw linkError("unknown_link", "no such setup link");
    const now = Date.now();
    if (link.revokedAt === undefined) await ctx.db.patch(linkId, { revokedAt: now });
    const sessions = await ctx.db.query("portalSessions").withIndex("by_link", (q) => q.eq("linkId", linkId)).take(100);
    for (const s of sessions) if (s.revokedAt === undefined) await ctx.db.patch(s._id, { revokedAt: now });
    await logEvent(ctx, "portal.link.revoked", link.groupId, { linkId });
    return null;
  },
});

function linkState(l: { expiresAt: number; usedAt?: number; revokedAt?: number }, now: number) {
  return l.revokedAt !== undefined ? "revoked" : l.usedAt !== undefined ? "used" : l.expiresAt <= now ? "expired" : "open";
}

/**
 * Operator overview: every group (first 100) with the state of its connections, directories and domains, and
 * the setup links issued for it (newest 20).
 */
export const overview = internalQuery({
  args: {},
  handler: async (ctx) => {
    const now = Date.now();
    const groups = await ctx.db.query("groups").take(100);
    const out = [];
    for (const g of groups) {
      const connections = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", g._id)).take(50);
      const directories = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", g._id)).take(20);
      const domains = await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", g._id)).take(50);
      const links = await ctx.db.query("portalLinks").withIndex("by_group", (q) => q.eq("groupId", g._id)).order("desc").take(20);
      out.push({
        group: g.slug,
        name: g.name,
        connections: connections.map((c) => ({ id: c._id, name: c.name, kind: c.kind, status: c.status })),
        directories: directories.map((d) => ({ slug: d.slug, users: d.userCount, groups: d.groupCount })),
        domains: domains.map((d) => ({ domain: d.domain, verified: d.verified })),
        links: links.map((l) => ({ linkId: l._id, intents: l.intents, createdAt: l.createdAt, expiresAt: l.expiresAt, state: linkState(l, now) })),
      });
    }
    return out;
  },
});
