// The audit log: a paginated query, an NDJSON export per group, and the retention sweep (batches, each
// scheduling the next until nothing older than the retention window is left).
import { v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internalMutation, internalQuery } from "../lib/functions";
import { internal } from "../_generated/api";
import { envelopeOf } from "../../events/catalogue";
import { gatewayOptions } from "../lib/env";

const DAY = 86_400_000;
const SWEEP_BATCH = 500;
const EXPORT_PAGE = 1000;

/** Newest first; with `groupId`, that group's events only. */
export const list = internalQuery({
  args: { groupId: v.optional(v.id("groups")), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { groupId, paginationOpts }) => {
    const q = groupId
      ? ctx.db.query("events").withIndex("by_group_and_cursor", (r) => r.eq("groupId", groupId))
      : ctx.db.query("events").withIndex("by_cursor");
    const page = await q.order("desc").paginate(paginationOpts);
    return { ...page, page: page.page.map(envelopeOf) };
  },
});

/**
 * One page of a group's log as NDJSON (one event envelope per line, oldest first). Call again with
 * `after: nextCursor` until `done`; `npm run admin -- --ndjson events/audit:exportGroup '{"groupId":"…"}'`
 * does the loop and prints the lines.
 */
export const exportGroup = internalQuery({
  args: { groupId: v.id("groups"), after: v.optional(v.number()), limit: v.optional(v.number()) },
  returns: v.object({ ndjson: v.string(), nextCursor: v.number(), done: v.boolean() }),
  handler: async (ctx, { groupId, after = 0, limit = EXPORT_PAGE }) => {
    const size = Math.min(Math.max(1, Math.floor(limit)), EXPORT_PAGE);
    const rows = await ctx.db
      .query("events")
      .withIndex("by_group_and_cursor", (r) => r.eq("groupId", groupId).gt("cursor", after))
      .take(size);
    const ndjson = rows.map((r) => JSON.stringify(envelopeOf(r)) + "\n").join("");
    return { ndjson, nextCursor: rows.length ? rows[rows.length - 1]!.cursor! : after, done: rows.length < size };
  },
});

/** Delete events older than `events.retentionDays` (GATEWAY_OPTIONS), a batch at a time. Daily cron. */
export const sweep = internalMutation({
  args: { now: v.optional(v.number()) },
  returns: v.number(),
  handler: async (ctx, a) => {
    const cutoff = (a.now ?? Date.now()) - gatewayOptions().events.retentionDays * DAY;
    const old = await ctx.db.query("events").withIndex("by_at", (q) => q.lt("at", cutoff)).take(SWEEP_BATCH);
    for (const e of old) await ctx.db.delete(e._id);
    if (old.length === SWEEP_BATCH) await ctx.scheduler.runAfter(0, internal.events.audit.sweep, { now: a.now });
    return old.length;
  },
});
