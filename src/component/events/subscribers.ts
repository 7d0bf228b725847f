// Function-handle subscribers (embedded mode): the app registers `await createFunctionHandle(internal.x.onEvent)`
// and that mutation is called with `{ event }` inside every transaction that records a matching event.
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { EventShapeError, checkEventFilter } from "../../events/catalogue";

const MAX_SUBSCRIBERS = 20;
const subscriberError = (path: string, message: string) => new ConvexError({ kind: "SubscriberAdminError" as const, path, message: `${path}: ${message}` });

export const subscribe = internalMutation({
  args: { handle: v.string(), events: v.optional(v.array(v.string())) },
  returns: v.id("eventSubscribers"),
  handler: async (ctx, a) => {
    if (!a.handle.startsWith("function://")) throw subscriberError("handle", "must be a function handle (createFunctionHandle)");
    let events: string[] | undefined;
    try {
      events = a.events && checkEventFilter(a.events);
    } catch (e) {
      if (e instanceof EventShapeError) throw subscriberError("events", e.message);
      throw e;
    }
    const existing = await ctx.db.query("eventSubscribers").withIndex("by_handle", (q) => q.eq("handle", a.handle)).first();
    if (existing) {
      await ctx.db.patch(existing._id, { events });
      return existing._id;
    }
    if ((await ctx.db.query("eventSubscribers").take(MAX_SUBSCRIBERS)).length >= MAX_SUBSCRIBERS) throw subscriberError("handle", `at most ${MAX_SUBSCRIBERS} subscribers`);
    return ctx.db.insert("eventSubscribers", { handle: a.handle, ...(events ? { events } : {}), createdAt: Date.now() });
  },
});

export const unsubscribe = internalMutation({
  args: { handle: v.string() },
  handler: async (ctx, { handle }) => {
    const existing = await ctx.db.query("eventSubscribers").withIndex("by_handle", (q) => q.eq("handle", handle)).first();
    if (existing) await ctx.db.delete(existing._id);
    return null;
  },
});

export const list = internalQuery({
  args: {},
  handler: async (ctx) => (await ctx.db.query("eventSubscribers").take(MAX_SUBSCRIBERS)).map((s) => ({ handle: s.handle, events: s.events ?? null })),
});
