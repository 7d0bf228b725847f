// Deployment-admin operations on groups (tenants). Internal: run them from the Convex dashboard,
// `npx convex run admin/groups:create '{...}'`, or `npm run admin` (scripts/admin.ts).
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "../lib/functions";
import type { Id } from "../_generated/dataModel";
import { groupPolicy } from "../tables/core";
import { logEvent } from "../signin";
import { markDomainVerified } from "../lib/domains";
import { groupBySlug } from "../lib/lookups";
import { revokeScopedSessions, revokeSession } from "../oauth/grants";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function adminError(path: string, message: string) {
  return new ConvexError({ kind: "AdminError" as const, path, message: `${path}: ${message}` });
}

function normaliseDomains(domains: string[]): string[] {
  const out = domains.map((d, i) => {
    const domain = d.trim().toLowerCase().replace(/^@/, "");
    if (!DOMAIN.test(domain)) throw adminError(`domains.${i}`, `"${d}" is not a domain name`);
    return domain;
  });
  return [...new Set(out)];
}

async function setDomains(ctx: MutationCtx, groupId: Id<"groups">, domains: string[]) {
  for (const d of normaliseDomains(domains)) {
    const claimed = await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", d)).first();
    if (claimed && claimed.groupId !== groupId) throw adminError("domains", `"${d}" already belongs to another group`);
  }
  // A domain the group keeps keeps its verification; a new one starts unverified (verify it with
  // setDomainVerified or DNS in the setup portal); a dropped one is deleted, except one the IT admin claimed in
  // the setup portal (it carries a verificationToken: its proof is DNS, not this list).
  const wanted = new Set(normaliseDomains(domains));
  const existing = await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", groupId)).collect();
  for (const row of existing) if (!wanted.has(row.domain) && !row.verificationToken) await ctx.db.delete(row._id);
  const kept = new Set(existing.map((r) => r.domain));
  for (const domain of wanted) if (!kept.has(domain)) await ctx.db.insert("domains", { groupId, domain, verified: false });
}

/**
 * Mark one of a group's domains verified (or not): the deployment admin's word, for a domain whose control was
 * checked out of band (the IT admin's own way is a DNS TXT record in the setup portal). Only a verified domain
 * routes a login_hint, lets an email link accounts or makes a token's email_verified true (README "Security model").
 */
export const setDomainVerified = internalMutation({
  args: { groupId: v.id("groups"), domain: v.string(), verified: v.boolean() },
  returns: v.null(),
  handler: async (ctx, a) => {
    const [domain] = normaliseDomains([a.domain]);
    const claims = await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", domain!)).take(20);
    const row = claims.find((d) => d.groupId === a.groupId);
    if (!row) throw adminError("domain", `"${domain}" is not a domain of this group`);
    if (a.verified) {
      if ((await markDomainVerified(ctx, row, "admin")) === "taken") throw adminError("domain", `"${domain}" is verified by another group`);
    } else if (row.verified) {
      await ctx.db.patch(row._id, { verified: false, verifiedAt: undefined });
      await logEvent(ctx, "domain.unverified", a.groupId, { domain: row.domain, method: "admin" });
    }
    return null;
  },
});

export const create = internalMutation({
  args: {
    slug: v.string(),
    name: v.string(),
    domains: v.optional(v.array(v.string())),
    policy: v.optional(groupPolicy),
  },
  returns: v.id("groups"),
  handler: async (ctx, a) => {
    if (!SLUG.test(a.slug)) throw adminError("slug", "lower-case letters, digits and dashes, 1-64 characters");
    if (!a.name.trim()) throw adminError("name", "required");
    const taken = await groupBySlug(ctx, a.slug);
    if (taken) throw adminError("slug", `"${a.slug}" is taken`);
    const groupId = await ctx.db.insert("groups", {
      slug: a.slug,
      name: a.name.trim(),
      policy: a.policy ?? { defaultRole: "member" },
      createdAt: Date.now(),
    });
    await setDomains(ctx, groupId, a.domains ?? []);
    await logEvent(ctx, "group.created", groupId, { slug: a.slug });
    return groupId;
  },
});

export const update = internalMutation({
  args: {
    groupId: v.id("groups"),
    name: v.optional(v.string()),
    domains: v.optional(v.array(v.string())),
    policy: v.optional(groupPolicy),
  },
  returns: v.null(),
  handler: async (ctx, a) => {
    const group = await ctx.db.get(a.groupId);
    if (!group) throw adminError("groupId", "no such group");
    if (a.name !== undefined) {
      if (!a.name.trim()) throw adminError("name", "required");
      await ctx.db.patch(group._id, { name: a.name.trim() });
    }
    if (a.policy) await ctx.db.patch(group._id, { policy: a.policy });
    if (a.domains) await setDomains(ctx, group._id, a.domains);
    await logEvent(ctx, "group.updated", group._id, {});
    return null;
  },
});

/**
 * Disable or re-enable a group. Disabling refuses its sign-ins at once, makes refresh and introspection fail
 * for its sessions at once, and revokes them (session.revoked each, in batches).
 */
export const setStatus = internalMutation({
  args: { groupId: v.id("groups"), status: v.union(v.literal("active"), v.literal("disabled")) },
  returns: v.null(),
  handler: async (ctx, a) => {
    const group = await ctx.db.get(a.groupId);
    if (!group) throw adminError("groupId", "no such group");
    if ((group.disabledAt !== undefined) === (a.status === "disabled")) return null;
    await ctx.db.patch(group._id, { disabledAt: a.status === "disabled" ? Date.now() : undefined });
    if (a.status === "disabled") await revokeScopedSessions(ctx, { groupId: group._id }, "group disabled");
    await logEvent(ctx, "group.updated", group._id, {});
    return null;
  },
});

export const get = internalQuery({
  args: { slug: v.string() },
  handler: async (ctx, { slug }) => {
    const group = await groupBySlug(ctx, slug);
    if (!group) return null;
    const domains = await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", group._id)).collect();
    return { ...group, domains: domains.map((d) => d.domain), verifiedDomains: domains.filter((d) => d.verified).map((d) => d.domain) };
  },
});

export const list = internalQuery({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => ctx.db.query("groups").order("desc").take(Math.min(limit ?? 100, 1000)),
});

/** Deletes the group and everything that hangs off it. Large groups: call again until it returns done. */
export const remove = internalMutation({
  args: { groupId: v.id("groups") },
  returns: v.object({ done: v.boolean() }),
  handler: async (ctx, { groupId }) => {
    const BATCH = 500;
    let budget = BATCH;
    const drain = async (rows: Array<{ _id: Id<any> }>) => {
      for (const r of rows) {
        await ctx.db.delete(r._id);
        budget--;
      }
    };
    await drain(await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(budget));
    await drain(await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(Math.max(budget, 0)));
    const members = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", groupId)).take(Math.max(budget, 0));
    for (const m of members) {
      const sessions = await ctx.db.query("sessions").withIndex("by_group_and_user", (q) => q.eq("groupId", groupId).eq("userId", m.userId)).collect();
      for (const s of sessions) {
        await revokeSession(ctx, s, "group deleted"); // session.revoked for apps that hear events; tokens deleted
        await ctx.db.delete(s._id);
        budget--;
      }
    }
    await drain(members);
    if (budget <= 0) return { done: false };
    if (await ctx.db.get(groupId)) {
      await ctx.db.delete(groupId);
      // In the group's own lane (after its other events) and its export; the id outlives the document.
      await logEvent(ctx, "group.deleted", groupId, { groupId });
    }
    return { done: true };
  },
});
