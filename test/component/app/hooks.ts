import { internalMutationGeneric } from "convex/server";
import { v } from "convex/values";

export const afterUserCreatedOrUpdated = internalMutationGeneric({
  args: { userId: v.string(), existingUser: v.boolean(), groupId: v.string(), source: v.string() },
  handler: async (ctx, args) => {
    await ctx.db.insert("userChanges", args);
    const failure = await ctx.db.query("hookFailures").first();
    if (failure) throw new Error(failure.reason);
  },
});
