// Deployment-admin operations on memberships (user in group, with roles).
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { adminError } from "./groups";
import { logEvent, membershipOf } from "../signin";
import { revokeUserSessions } from "../oauth/grants";

export const list = internalQuery({
  args: { groupId: v.id("groups"), cursor: v.optional(v.union(v.string(), v.null())), numItems: v.optional(v.number()) },
  handler: async (ctx, a) =>
    ctx.db
      .query("memberships")
      .withIndex("by_group_and_user", (q) => q.eq("groupId", a.groupId))
      .paginate({ cursor: a.cursor ?? null, numItems: Math.min(a.numItems ?? 100, 500) }),
});

/** Add (or update) a member by email: creates the user when unknown. */
export const upsert = internalMutation({
  args: { groupId: v.id("groups"), email: v.string(), name: v.optional(v.string()), roles: v.array(v.string()) },
  returns: v.id("memberships"),
  handler: async (ctx, a) => {
    if (!(await ctx.db.get(a.groupId))) throw adminError("groupId", "no such group");
    if (!/^[^@\s]+@[^@\s]+$/.test(a.email)) throw adminError("email", "not an email address");
    if (a.roles.length === 0) throw adminError("roles", "at least one role");
    const emailLower = a.email.toLowerCase();
    const now = Date.now();
    let user = await ctx.db.query("users").withIndex("by_emailLower", (q) => q.eq("emailLower", emailLower)).first();
    const userId = user?._id ?? (await ctx.db.insert("users", { email: a.email, emailLower, emailVerified: false, name: a.name, createdAt: now }));
    const existing = await membershipOf(ctx, a.groupId, userId);
    // The admin's word about this person in this group (not IdP-verified: email_verified stays false until an IdP says so).
    const profile = { email: a.email, emailLower, ...(a.name ? { name: a.name } : {}) };
    if (existing) {
      const emailChanged = existing.emailLower !== emailLower;
      await ctx.db.patch(existing._id, { role: a.roles[0]!, roles: a.roles, status: "active", updatedAt: now, ...profile, ...(emailChanged ? { emailVerified: false } : {}) });
      return existing._id;
    }
    const id = await ctx.db.insert("memberships", { groupId: a.groupId, userId, role: a.roles[0]!, roles: a.roles, source: "admin", status: "active", updatedAt: now, ...profile, emailVerified: false });
    await logEvent(ctx, "membership.created", a.groupId, { userId, roles: a.roles, source: "admin" });
    return id;
  },
});

export const remove = internalMutation({
  args: { membershipId: v.id("memberships") },
  returns: v.null(),
  handler: async (ctx, { membershipId }) => {
    const m = await ctx.db.get(membershipId);
    if (!m) throw adminError("membershipId", "no such membership");
    await revokeUserSessions(ctx, m.groupId, m.userId, "membership removed");
    await ctx.db.delete(m._id);
    await logEvent(ctx, "membership.deleted", m.groupId, { userId: m.userId });
    return null;
  },
});
