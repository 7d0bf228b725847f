// Portal domains: claim a domain (a TXT record to publish), then prove it over DNS-over-HTTPS. Only verified
// domains drive home-realm discovery (/sso/authorize login_hint) and linking by email.
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { normalizeDomain, verificationRecord } from "../../portal/doh";
import { randomToken } from "../lib/crypto";
import { logEvent } from "../signin";
import { markDomainVerified } from "../lib/domains";

const domainError = (code: string, message: string) => new ConvexError({ kind: "PortalDomainError", code, message });

export const list = internalQuery({
  args: { groupId: v.id("groups") },
  handler: async (ctx, { groupId }) => {
    const rows = await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(50);
    return rows.map((d) => ({
      id: d._id as string,
      domain: d.domain,
      verified: d.verified,
      ...(d.verificationToken ? { record: verificationRecord(d.domain, d.verificationToken) } : {}),
    }));
  },
});

export const add = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), domain: v.string() },
  handler: async (ctx, a) => {
    const n = normalizeDomain(a.domain);
    if ("error" in n) throw domainError("invalid_domain", n.error);
    const same = await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", n.domain)).take(20);
    if (same.some((d) => d.groupId === a.groupId)) throw domainError("domain_exists", `${n.domain} is already on your list.`);
    if (same.some((d) => d.verified)) throw domainError("domain_taken", `${n.domain} is verified by another organisation.`);
    if (same.length >= 10) throw domainError("domain_taken", `${n.domain} is claimed too often; contact the application's team.`);
    const id = await ctx.db.insert("domains", { groupId: a.groupId, domain: n.domain, verified: false, verificationToken: randomToken(24) });
    await logEvent(ctx, "portal.domain.added", a.groupId, { domainId: id, domain: n.domain, portalSessionId: a.sessionId });
    return { id: id as string, domain: n.domain };
  },
});

/** What the action must find in DNS for this domain of this group. */
export const challenge = internalQuery({
  args: { groupId: v.id("groups"), domainId: v.string() },
  handler: async (ctx, a) => {
    const id = ctx.db.normalizeId("domains", a.domainId);
    const d = id ? await ctx.db.get(id) : null;
    if (!d || d.groupId !== a.groupId || !d.verificationToken) return null;
    return { domain: d.domain, verified: d.verified, record: verificationRecord(d.domain, d.verificationToken) };
  },
});

export const markVerified = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), domainId: v.id("domains") },
  returns: v.null(),
  handler: async (ctx, a) => {
    const d = await ctx.db.get(a.domainId);
    if (!d || d.groupId !== a.groupId) throw domainError("unknown_domain", "no such domain in this group");
    if ((await markDomainVerified(ctx, d, "dns")) === "taken") throw domainError("domain_taken", `${d.domain} is verified by another organisation.`);
    await logEvent(ctx, "portal.domain.verified", a.groupId, { domainId: d._id, domain: d.domain, portalSessionId: a.sessionId });
    return null;
  },
});

export const recentFailures = internalQuery({
  args: { groupId: v.id("groups") },
  handler: async (ctx, { groupId }) => {
    const rows = await ctx.db.query("ssoTraces").withIndex("by_groupId_and_at", (q) => q.eq("groupId", groupId)).order("desc").take(50);
    const names = new Map<string, string>();
    const out = [];
    for (const t of rows) {
      let connection = "—";
      if (t.connectionId) {
        if (!names.has(t.connectionId)) names.set(t.connectionId, (await ctx.db.get(t.connectionId))?.name ?? "deleted connection");
        connection = names.get(t.connectionId)!;
      }
      out.push({ code: t.code, at: t.at, connection, detail: t.detail, ref: t.ref });
    }
    return out;
  },
});
