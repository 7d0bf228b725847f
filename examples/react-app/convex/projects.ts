// The app's own functions, guarded by grants: `projects:read` (admin and member) and `projects:write` (admin only).
// requireGrant reads the member from the session JWT (ctx.auth), checks the session row is live (embedded mode:
// sign-out and revocation apply at once) and throws ConvexError { kind: "MissingGrant", ... } otherwise.
import { ConvexError, v } from "convex/values";
import { requireGrant } from "convex-sso-gateway/server";
import { mutation, query } from "./_generated/server";
import { gateway } from "./gateway";

export const list = query({
  args: {},
  handler: async (ctx) => {
    const { groupId } = await requireGrant(ctx, "projects:read", gateway);
    const projects = await ctx.db
      .query("projects")
      .withIndex("by_groupId", (q) => q.eq("groupId", groupId))
      .order("desc")
      .take(50);
    return projects.map((p) => ({ id: p._id, name: p.name, createdBy: p.createdBy }));
  },
});

export const create = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const { groupId, email, userId } = await requireGrant(ctx, "projects:write", gateway);
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 80) throw new ConvexError({ kind: "InvalidInput", message: "a project name has 1 to 80 characters" });
    return ctx.db.insert("projects", { groupId, name: trimmed, createdBy: email ?? userId });
  },
});
