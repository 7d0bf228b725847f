// Idempotent seeding from a config file (the local gateway's demo config, or your own):
// groups by slug and apps by clientId are created when missing and updated when present.
import { v } from "convex/values";
import { internalMutation } from "../lib/functions";
import type { Id } from "../_generated/dataModel";
import { groupPolicy } from "../tables/core";
import { internal } from "../_generated/api";
import { appByClientId, groupBySlug } from "../lib/lookups";

export const apply = internalMutation({
  args: {
    groups: v.array(
      v.object({
        slug: v.string(),
        name: v.string(),
        domains: v.optional(v.array(v.string())),
        /** Of `domains`, those the deployment admin has verified out of band (see admin/groups:setDomainVerified). */
        verifiedDomains: v.optional(v.array(v.string())),
        policy: v.optional(groupPolicy),
      }),
    ),
    apps: v.array(v.object({ clientId: v.string(), name: v.string(), redirectUris: v.array(v.string()), audience: v.optional(v.string()) })),
  },
  handler: async (ctx, a) => {
    const groupIds: Record<string, Id<"groups">> = {};
    for (const { verifiedDomains, ...g } of a.groups) {
      const existing = await groupBySlug(ctx, g.slug);
      if (existing) {
        await ctx.runMutation(internal.admin.groups.update, { groupId: existing._id, name: g.name, domains: g.domains, policy: g.policy });
        groupIds[g.slug] = existing._id;
      } else {
        groupIds[g.slug] = await ctx.runMutation(internal.admin.groups.create, g);
      }
      for (const domain of verifiedDomains ?? []) {
        await ctx.runMutation(internal.admin.groups.setDomainVerified, { groupId: groupIds[g.slug]!, domain, verified: true });
      }
    }
    for (const app of a.apps) {
      const existing = await appByClientId(ctx, app.clientId);
      if (existing) await ctx.runMutation(internal.admin.apps.update, app);
      else await ctx.runMutation(internal.admin.apps.create, app);
    }
    return { groupIds };
  },
});
