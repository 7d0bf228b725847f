// Recording an event: the one place (behind signin.ts's logEvent) that validates the type and data against
// the catalogue, assigns the cursor, inserts the audit row, queues webhook deliveries and calls function-handle
// subscribers — all inside the caller's transaction, so an event exists iff the change it describes committed.
//
// The cursor comes from one counter document read and written by every event-recording transaction. Convex
// mutations are serialisable (OCC): two transactions that both read the counter cannot both commit, the loser
// is retried and reads the winner's value. Hence cursors are handed out in commit order with no gaps between
// committed transactions, and a reader that sees cursor N sees every event below N (it committed earlier).
// The price is contention: every event-recording mutation conflicts with every other on that one document,
// so they run one at a time (about the rate of one small mutation; fine for sign-ins and provisioning, not for
// thousands of events per second). A sharded counter would remove the conflict but lose the total order.
import { ConvexError } from "convex/values";
import type { FunctionHandle } from "convex/server";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../lib/functions";
import { EventShapeError, checkEvent, envelopeOf, filterMatches, type EventEnvelope } from "../../events/catalogue";
import { randomToken } from "../lib/crypto";
import { enqueueDeliveries } from "./queue";

const COUNTER = "events";
const MAX_SUBSCRIBERS = 20;

async function nextCursor(ctx: MutationCtx): Promise<number> {
  const counter = await ctx.db.query("eventCounters").withIndex("by_name", (q) => q.eq("name", COUNTER)).unique();
  if (!counter) {
    await ctx.db.insert("eventCounters", { name: COUNTER, value: 1 });
    return 1;
  }
  const value = counter.value + 1;
  await ctx.db.patch(counter._id, { value });
  return value;
}

export async function recordEvent(
  ctx: MutationCtx,
  type: string,
  groupId: Id<"groups"> | undefined,
  data: unknown,
): Promise<EventEnvelope> {
  let checked: ReturnType<typeof checkEvent>;
  try {
    checked = checkEvent(type, data);
  } catch (e) {
    if (e instanceof EventShapeError) throw new ConvexError({ kind: "EventCatalogueError", type, message: e.message });
    throw e;
  }
  const cursor = await nextCursor(ctx);
  const row = { type: checked.type, groupId, data: checked.data, at: Date.now(), eventId: `evt_${randomToken(16)}`, cursor };
  const eventDocId = await ctx.db.insert("events", row);
  const envelope = envelopeOf(row);
  await enqueueDeliveries(ctx, eventDocId, envelope);
  await callSubscribers(ctx, envelope);
  return envelope;
}

/**
 * Function-handle subscribers run in this transaction (ctx.runMutation is a sub-transaction): what they write
 * commits with the change, and an error thrown there aborts the change. Handles are stored as strings, so the
 * same code works when convex/ becomes a component and the handles point into the app.
 */
async function callSubscribers(ctx: MutationCtx, event: EventEnvelope) {
  const subscribers = await ctx.db.query("eventSubscribers").take(MAX_SUBSCRIBERS);
  for (const s of subscribers) {
    if (!filterMatches(s.events, event.type)) continue;
    await ctx.runMutation(s.handle as FunctionHandle<"mutation">, { event });
  }
}
