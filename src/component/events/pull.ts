// The pull API's read: authenticate the key hash, then a page of the log after a cursor. A query, so a bad
// key (or any request) writes nothing. Snapshot reads + cursors assigned in commit order (record.ts) mean a
// page never skips an event that commits later with a lower cursor: there is no such event.
import { v } from "convex/values";
import { internalQuery } from "../lib/functions";
import { envelopeOf } from "../../events/catalogue";

export const MAX_PAGE = 500;

export const page = internalQuery({
  args: { keyHash: v.string(), after: v.number(), limit: v.number(), groupId: v.optional(v.string()) },
  handler: async (ctx, a) => {
    const key = await ctx.db.query("apiKeys").withIndex("by_hash", (q) => q.eq("hash", a.keyHash)).first();
    if (!key || key.revokedAt !== undefined) return { authorized: false as const };
    const limit = Math.min(Math.max(1, Math.floor(a.limit)), MAX_PAGE);
    const groupId = a.groupId === undefined ? undefined : ctx.db.normalizeId("groups", a.groupId);
    if (a.groupId !== undefined && !groupId) return { authorized: true as const, events: [], nextCursor: String(a.after), hasMore: false };
    const rows = groupId
      ? await ctx.db.query("events").withIndex("by_group_and_cursor", (q) => q.eq("groupId", groupId).gt("cursor", a.after)).take(limit + 1)
      : await ctx.db.query("events").withIndex("by_cursor", (q) => q.gt("cursor", a.after)).take(limit + 1);
    const events = rows.slice(0, limit).map(envelopeOf);
    return {
      authorized: true as const,
      events,
      nextCursor: events.length ? events[events.length - 1]!.cursor : String(a.after),
      hasMore: rows.length > limit,
    };
  },
});
