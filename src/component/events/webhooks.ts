// Webhook endpoints (deployment-wide): internal admin functions — `npm run admin -- events/webhooks:create
// '{"url":"https://…"}'`, the Convex dashboard, or the local gateway's seed file. The secret is returned once,
// at creation, and stored sealed. URLs pass the SSRF classifier when written and again before every POST.
import { ConvexError, v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import { internalMutation, internalQuery, type MutationCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { EventShapeError, checkEventFilter, filterMatches } from "../../events/catalogue";
import { WebhookSecretError, checkWebhookSecret, generateWebhookSecret } from "../../events/sign";
import { checkOutboundUrl } from "../../shared/netguard";
import { isLocalGateway } from "../lib/env";
import { sealSecret } from "../lib/crypto";
import { insertDelivery, laneHeads, scheduleHead } from "./queue";

const MAX_ENDPOINTS = 50;
const REPLAY_BATCH = 200;

const webhookError = (path: string, message: string) => new ConvexError({ kind: "WebhookAdminError" as const, path, message: `${path}: ${message}` });

function checkUrl(url: string): string {
  const c = checkOutboundUrl(url, { allowLocal: isLocalGateway() });
  if (c.ok) return c.url.toString();
  const why = {
    invalid: "is not an absolute URL",
    credentials: "must not contain credentials",
    not_https: "must use https",
    non_default_port: "must use the default port",
    private_host: "points to a private, loopback or local address",
  }[c.reason];
  throw webhookError("url", why);
}

function checkFilter(events: string[] | undefined): string[] | undefined {
  if (!events) return undefined;
  try {
    return checkEventFilter(events);
  } catch (e) {
    if (e instanceof EventShapeError) throw webhookError("events", e.message);
    throw e;
  }
}

function randomBytes(n: number) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Insert an endpoint (checked); it receives events recorded from now on. Shared with the seed. */
export async function insertEndpoint(ctx: MutationCtx, a: { url: string; secret?: string; events?: string[] }) {
  const url = checkUrl(a.url);
  const events = checkFilter(a.events);
  let secret: string;
  try {
    secret = a.secret === undefined ? generateWebhookSecret(randomBytes) : checkWebhookSecret(a.secret);
  } catch (e) {
    if (e instanceof WebhookSecretError) throw webhookError("secret", e.message);
    throw e;
  }
  if ((await ctx.db.query("webhookEndpoints").take(MAX_ENDPOINTS)).length >= MAX_ENDPOINTS) throw webhookError("url", `at most ${MAX_ENDPOINTS} endpoints`);
  const endpointId = await ctx.db.insert("webhookEndpoints", {
    url,
    secretSealed: await sealSecret(secret),
    secretHint: secret.slice(0, 10),
    ...(events ? { events } : {}),
    status: "active",
    createdAt: Date.now(),
  });
  return { endpointId, secret };
}

export const create = internalMutation({
  args: { url: v.string(), secret: v.optional(v.string()), events: v.optional(v.array(v.string())) },
  returns: v.object({ endpointId: v.id("webhookEndpoints"), secret: v.string() }),
  handler: (ctx, a) => insertEndpoint(ctx, a),
});

function publicView(e: Doc<"webhookEndpoints">) {
  return {
    endpointId: e._id,
    url: e.url,
    secretHint: e.secretHint,
    events: e.events ?? null,
    status: e.status,
    createdAt: e.createdAt,
    disabledAt: e.disabledAt ?? null,
    disabledReason: e.disabledReason ?? null,
  };
}

export const list = internalQuery({
  args: {},
  handler: async (ctx) => {
    const endpoints = await ctx.db.query("webhookEndpoints").take(MAX_ENDPOINTS);
    return Promise.all(
      endpoints.map(async (e) => {
        // Bounded: 50 endpoints × 101 rows stays far below a query's read limit.
        const queued = await ctx.db.query("webhookDeliveries").withIndex("by_endpoint_and_cursor", (q) => q.eq("endpointId", e._id)).take(101);
        return { ...publicView(e), queued: queued.length > 100 ? "100+" : queued.length, oldestQueuedCursor: queued[0]?.cursor ?? null };
      }),
    );
  },
});

export const disable = internalMutation({
  args: { endpointId: v.id("webhookEndpoints") },
  handler: async (ctx, { endpointId }) => {
    const e = await ctx.db.get(endpointId);
    if (!e) throw webhookError("endpointId", "no such endpoint");
    await ctx.db.patch(endpointId, { status: "disabled", disabledAt: Date.now(), disabledReason: "disabled by an admin" });
    return null;
  },
});

/** Remove an endpoint and (in batches) its queue. */
export const remove = internalMutation({
  args: { endpointId: v.id("webhookEndpoints") },
  handler: async (ctx, { endpointId }) => {
    const rows = await ctx.db.query("webhookDeliveries").withIndex("by_endpoint_and_cursor", (q) => q.eq("endpointId", endpointId)).take(500);
    for (const r of rows) await ctx.db.delete(r._id);
    if (rows.length === 500) {
      await ctx.scheduler.runAfter(0, internal.events.webhooks.remove, { endpointId });
      return null;
    }
    if (await ctx.db.get(endpointId)) await ctx.db.delete(endpointId);
    return null;
  },
});

/**
 * Manual replay: deliver again every event from `fromCursor` on (inclusive), in order, and re-enable the
 * endpoint. The endpoint is `replaying` while a job copies the log into its queue in batches; new events
 * reach it through that job, so per-group order holds. Receivers dedupe by `webhook-id`.
 */
export const replay = internalMutation({
  args: { endpointId: v.id("webhookEndpoints"), fromCursor: v.number() },
  handler: async (ctx, { endpointId, fromCursor }) => {
    const e = await ctx.db.get(endpointId);
    if (!e) throw webhookError("endpointId", "no such endpoint");
    if (!Number.isInteger(fromCursor) || fromCursor < 0) throw webhookError("fromCursor", "must be a non-negative integer");
    await ctx.db.patch(endpointId, { status: "replaying", replayCursor: fromCursor, disabledAt: undefined, disabledReason: undefined });
    await ctx.scheduler.runAfter(0, internal.events.webhooks.replayStep, { endpointId, phase: "clear" });
    return null;
  },
});

export const replayStep = internalMutation({
  args: { endpointId: v.id("webhookEndpoints"), phase: v.union(v.literal("clear"), v.literal("copy")) },
  handler: async (ctx, { endpointId, phase }) => {
    const e = await ctx.db.get(endpointId);
    if (!e || e.status !== "replaying" || e.replayCursor === undefined) return null;
    if (phase === "clear") {
      // 1. Empty the old queue (superseded by the replay; nothing is enqueued while `replaying`).
      const old = await ctx.db.query("webhookDeliveries").withIndex("by_endpoint_and_cursor", (q) => q.eq("endpointId", endpointId)).take(500);
      for (const r of old) await ctx.db.delete(r._id);
      await ctx.scheduler.runAfter(0, internal.events.webhooks.replayStep, { endpointId, phase: old.length === 500 ? "clear" : "copy" });
      return null;
    }
    // 2. Copy a batch of the log into the queue.
    const batch = await ctx.db.query("events").withIndex("by_cursor", (q) => q.gte("cursor", e.replayCursor!)).take(REPLAY_BATCH);
    const now = Date.now();
    for (const ev of batch) {
      if (!filterMatches(e.events, ev.type)) continue;
      await insertDelivery(ctx, endpointId, ev._id, { cursor: String(ev.cursor), group: ev.groupId ?? null }, now);
    }
    if (batch.length === REPLAY_BATCH) {
      await ctx.db.patch(endpointId, { replayCursor: batch[batch.length - 1]!.cursor! + 1 });
      await ctx.scheduler.runAfter(0, internal.events.webhooks.replayStep, { endpointId, phase: "copy" });
      return null;
    }
    // 3. Caught up (this transaction read the end of the log, so no event slips between it and `active`).
    await ctx.db.patch(endpointId, { status: "active", replayCursor: undefined });
    for (const head of await laneHeads(ctx, endpointId, 1000)) await scheduleHead(ctx, head);
    return null;
  },
});

export type EndpointId = Id<"webhookEndpoints">;
