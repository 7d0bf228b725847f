// The webhook delivery queue: rows per (endpoint, event), ordered per lane (the event's group). Only a lane's
// head (its lowest cursor) is ever scheduled, so an endpoint never gets event N+1 of a group before N was
// acknowledged. Enqueue and "delivered → schedule the next head" touch the same index range, so OCC orders
// them: whichever commits second sees the other's row.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { filterMatches, type EventEnvelope } from "../../events/catalogue";

export const DEPLOYMENT_LANE = "deployment";
const MAX_ENDPOINTS = 50;

export function laneOf(groupId: string | null | undefined): string {
  return groupId ?? DEPLOYMENT_LANE;
}

export async function laneHead(ctx: QueryCtx, endpointId: Id<"webhookEndpoints">, lane: string) {
  return ctx.db
    .query("webhookDeliveries")
    .withIndex("by_endpoint_and_lane_and_cursor", (q) => q.eq("endpointId", endpointId).eq("lane", lane))
    .first();
}

/** Schedule a lane's head at its due time (now if overdue). */
export async function scheduleHead(ctx: MutationCtx, head: Doc<"webhookDeliveries">) {
  await ctx.scheduler.runAfter(Math.max(0, head.nextAttemptAt - Date.now()), internal.events.delivery.attempt, { deliveryId: head._id });
}

/** The head of each lane of an endpoint, by skipping from lane to lane along the index (one read per lane). */
export async function laneHeads(ctx: QueryCtx, endpointId: Id<"webhookEndpoints">, limit: number) {
  const heads: Doc<"webhookDeliveries">[] = [];
  let after: string | undefined;
  while (heads.length < limit) {
    const next = await ctx.db
      .query("webhookDeliveries")
      .withIndex("by_endpoint_and_lane_and_cursor", (q) =>
        after === undefined ? q.eq("endpointId", endpointId) : q.eq("endpointId", endpointId).gt("lane", after),
      )
      .first();
    if (!next) break;
    heads.push(next);
    after = next.lane;
  }
  return heads;
}

export async function insertDelivery(
  ctx: MutationCtx,
  endpointId: Id<"webhookEndpoints">,
  eventDocId: Id<"events">,
  event: Pick<EventEnvelope, "cursor" | "group">,
  now: number,
) {
  return ctx.db.insert("webhookDeliveries", {
    endpointId,
    eventDocId,
    cursor: Number(event.cursor),
    lane: laneOf(event.group),
    attempts: 0,
    nextAttemptAt: now,
  });
}

/** Called by recordEvent: one queue row per active endpoint whose filter matches; kick it if it heads its lane. */
export async function enqueueDeliveries(ctx: MutationCtx, eventDocId: Id<"events">, event: EventEnvelope) {
  const endpoints = await ctx.db.query("webhookEndpoints").take(MAX_ENDPOINTS);
  const now = Date.now();
  for (const endpoint of endpoints) {
    // A replaying endpoint gets this event from its replay job, in order; a disabled one from a replay later.
    if (endpoint.status !== "active" || !filterMatches(endpoint.events, event.type)) continue;
    const id = await insertDelivery(ctx, endpoint._id, eventDocId, event, now);
    const head = await laneHead(ctx, endpoint._id, laneOf(event.group));
    if (head?._id === id) await scheduleHead(ctx, head);
  }
}
