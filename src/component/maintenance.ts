// Clean-up of expired foundation rows and SCIM request-log rows past retention (run hourly by src/component/crons.ts). Each call deletes at most `limit` rows per
// table; when any table had more (`chain`, as the cron passes it) the same sweep is scheduled again at once, so a
// backlog of any size is cleared within the hour instead of a fixed number of rows an hour. Spent refresh
// tokens are kept until their session ends so that reuse stays detectable.
import { v } from "convex/values";
import { internalMutation } from "./lib/functions";
import { internal } from "./_generated/api";
import { gatewayOptions } from "./lib/env";
import { LONGEST_PERIOD_MS } from "./limits";
import { sweepScimRequests } from "./scim/requestLog";

export const sweep = internalMutation({
  args: { limit: v.optional(v.number()), chain: v.optional(v.boolean()) },
  returns: v.object({
    authRequests: v.number(),
    authCodes: v.number(),
    refreshTokens: v.number(),
    ssoTraces: v.number(),
    rateLimits: v.number(),
    scimRequests: v.number(),
  }),
  handler: async (ctx, { limit, chain }) => {
    const n = Math.min(limit ?? 200, 1000);
    const now = Date.now();
    const requests = await ctx.db.query("authRequests").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const r of requests) await ctx.db.delete(r._id);
    const codes = await ctx.db.query("authCodes").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const c of codes) await ctx.db.delete(c._id);
    const tokens = await ctx.db.query("refreshTokens").withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(n);
    for (const t of tokens) await ctx.db.delete(t._id);
    const traceCutoff = now - gatewayOptions().traces.retentionMs;
    const traces = await ctx.db.query("ssoTraces").withIndex("by_at", (q) => q.lt("at", traceCutoff)).take(n);
    for (const t of traces) await ctx.db.delete(t._id);
    // A bucket untouched for its longest period is full again: deleting it changes no decision.
    const buckets = await ctx.db.query("rateLimits").withIndex("by_ts", (q) => q.lt("ts", now - LONGEST_PERIOD_MS)).take(n);
    for (const b of buckets) await ctx.db.delete(b._id);
    const scimRequests = await sweepScimRequests(ctx, now, n);
    const counts = {
      authRequests: requests.length,
      authCodes: codes.length,
      refreshTokens: tokens.length,
      ssoTraces: traces.length,
      rateLimits: buckets.length,
      scimRequests,
    };
    if (chain && Object.values(counts).some((c) => c === n)) {
      await ctx.scheduler.runAfter(0, internal.maintenance.sweep, { limit: n, chain: true });
    }
    return counts;
  },
});
