// Setup links: what the app's operator hands to a customer's IT admin. A link is a single-use capability for
// one group and some intents; only its SHA-256 is stored. `npm run admin -- portal/links:create '{"group":"demo"}'`.
import { ConvexError, v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import { internalMutation, internalQuery, type QueryCtx } from "../lib/functions";
import { portalIntent } from "../tables/portal";
import { linkState, mintLinkToken } from "./session";
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
    const { token, hash } = await mintLinkToken("psl_");
    const now = Date.now();
    const expiresAt = now + Math.round(days * DAY);
    const linkId = await ctx.db.insert("portalLinks", {
      groupId: group._id,
      hash,
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


/**
 * Operator overview: every group (first 100) with the state of its connections (active or not; tested in the
 * portal or not), SCIM directories (active tokens, last request), domains, and the setup links issued for it
 * (newest 20).
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
        groupId: g._id,
        group: g.slug,
        name: g.name,
        connections: await Promise.all(connections.map(async (c) => ({ id: c._id, name: c.name, kind: c.kind, status: c.status, tested: await testedInPortal(ctx, c._id) }))),
        directories: await Promise.all(directories.map((d) => directorySummary(ctx, d))),
        domains: domains.map((d) => ({ domain: d.domain, verified: d.verified })),
        links: links.map((l) => ({ linkId: l._id, intents: l.intents, createdAt: l.createdAt, expiresAt: l.expiresAt, createdBy: l.createdBy ?? null, state: linkState(l, now) })),
      });
    }
    return out;
  },
});

/** true: a portal test sign-in succeeded after the IdP side was last saved; false: not yet; null: not set up in the portal. */
async function testedInPortal(ctx: QueryCtx, connectionId: Id<"connections">): Promise<boolean | null> {
  const setup = await ctx.db.query("portalSetups").withIndex("by_connectionId", (q) => q.eq("connectionId", connectionId)).first();
  if (!setup) return null;
  return setup.testedAt !== undefined && setup.configuredAt !== undefined && setup.testedAt >= setup.configuredAt;
}

async function directorySummary(ctx: QueryCtx, d: Doc<"scimDirectories">) {
  const now = Date.now();
  const tokens = await ctx.db.query("scimTokens").withIndex("by_directoryId", (q) => q.eq("directoryId", d._id)).take(50);
  const last = await ctx.db.query("scimRequests").withIndex("by_directoryId_and_at", (q) => q.eq("directoryId", d._id)).order("desc").first();
  return {
    directoryId: d._id,
    slug: d.slug,
    name: d.name,
    users: d.userCount,
    groups: d.groupCount,
    activeTokens: tokens.filter((t) => t.revokedAt === undefined && (t.expiresAt === undefined || t.expiresAt > now)).length,
    lastRequest: last ? { at: last.at, method: last.method, path: last.path, status: last.status } : null,
  };
}
