// Tables of the events feature (docs/events.md): the cursor counter, webhook endpoints and their delivery
// queue, pull-API keys (hashed) and function-handle subscribers. The `events` table itself is in core.ts.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const endpointStatus = v.union(v.literal("active"), v.literal("replaying"), v.literal("disabled"));

export const eventsTables = {
  /** One row per named counter; `events` holds the last cursor handed out. Written by every recorded event. */
  eventCounters: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),

  webhookEndpoints: defineTable({
    url: v.string(),
    /** The Standard Webhooks secret (`whsec_…`), sealed at rest with GATEWAY_ENCRYPTION_KEY. */
    secretSealed: v.string(),
    secretHint: v.string(),
    events: v.optional(v.array(v.string())),
    status: endpointStatus,
    /** While `replaying`: the next cursor the replay job copies into the queue. */
    replayCursor: v.optional(v.number()),
    createdAt: v.number(),
    disabledAt: v.optional(v.number()),
    disabledReason: v.optional(v.string()),
  }).index("by_url", ["url"]),

  /**
   * The delivery queue: one row per (endpoint, event) not yet delivered. A row is deleted when delivered.
   * `lane` is the event's group id (or "deployment"): within a lane an endpoint gets events in cursor order,
   * only the lowest pending row of a lane is ever in flight.
   */
  webhookDeliveries: defineTable({
    endpointId: v.id("webhookEndpoints"),
    eventDocId: v.id("events"),
    cursor: v.number(),
    lane: v.string(),
    attempts: v.number(),
    nextAttemptAt: v.number(),
    lastError: v.optional(v.string()),
    lastStatus: v.optional(v.number()),
  })
    .index("by_endpoint_and_lane_and_cursor", ["endpointId", "lane", "cursor"])
    .index("by_endpoint_and_cursor", ["endpointId", "cursor"])
    .index("by_nextAttemptAt", ["nextAttemptAt"]),

  /** Pull-API keys: only the SHA-256 is stored (like SCIM tokens); several may be live at once to rotate. */
  apiKeys: defineTable({
    name: v.string(),
    hash: v.string(),
    hint: v.string(),
    createdAt: v.number(),
    revokedAt: v.optional(v.number()),
  }).index("by_hash", ["hash"]),

  /** Function-handle subscribers (embedded mode): called inside the transaction that records the event. */
  eventSubscribers: defineTable({
    handle: v.string(),
    events: v.optional(v.array(v.string())),
    createdAt: v.number(),
  }).index("by_handle", ["handle"]),
};
