// Bounded clean-up of expired foundation rows (run by convex/crons.ts). Each call deletes at most `limit`
// rows per table; spent refresh tokens are kept until their session ends so that reuse stays detectable.
import { v } from "convex/values";
import { internalMutation } from "./lib/functions";

export const sweep = internalMutation({
  args: { limit: v.optional(v.number()) },
  returns: v.object({ authRequests: v.number(), authCodes: v.number(), refreshTokens: v.number() }),
  handler: async (ctx, { limit }) => {
    const n = Math.min(limit ?? 200, 1000);
    const now = Date.now();
    const requests = await ctx.db.query("authRequests").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const r of requests) await ctx.db.delete(r._id);
    const codes = await ctx.db.query("authCodes").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const c of codes) await ctx.db.delete(c._id);
    const tokens = await ctx.db.query("refreshTokens").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const t of tokens) await ctx.db.delete(t._id);
    return { authRequests: requests.length, authCodes: codes.length, refreshTokens: tokens.length };
  },
});
