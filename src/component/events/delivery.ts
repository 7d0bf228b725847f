// One webhook attempt: load (query) → SSRF check → sign → POST → record (mutation). At least once: the
// receiver may see an event again (after a crash between the POST and the record, or a resume), always with
// the same `webhook-id`, which is the event id. A stale or duplicate attempt is ignored by recordAttempt
// (it carries the attempt number it was scheduled for).
import { v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "../lib/functions";
import { internal } from "../_generated/api";
import { envelopeOf } from "../../events/catalogue";
import { nextRetry } from "../../events/backoff";
import { signWebhook } from "../../events/sign";
import { checkOutboundUrl } from "../../shared/netguard";
import { gatewayOptions, isLocalGateway } from "../lib/env";
import { openSecret } from "../lib/crypto";
import { recordTrace } from "../traces";
import { logEvent } from "../signin";
import { laneHead, laneHeads, scheduleHead } from "./queue";

const MAX_ERROR = 300;

export const loadAttempt = internalQuery({
  args: { deliveryId: v.id("webhookDeliveries") },
  handler: async (ctx, { deliveryId }) => {
    const delivery = await ctx.db.get(deliveryId);
    if (!delivery) return null;
    const endpoint = await ctx.db.get(delivery.endpointId);
    if (!endpoint || endpoint.status !== "active") return null;
    // Only a lane's head is delivered: ordering per group.
    const head = await laneHead(ctx, delivery.endpointId, delivery.lane);
    if (head?._id !== delivery._id) return null;
    const event = await ctx.db.get(delivery.eventDocId);
    return {
      attempts: delivery.attempts,
      url: endpoint.url,
      secretSealed: endpoint.secretSealed,
      // The event may have been swept by retention: the row is then dropped as delivered.
      body: event ? JSON.stringify(envelopeOf(event)) : null,
      msgId: event?.eventId ?? null,
    };
  },
});

export const attempt = internalAction({
  args: { deliveryId: v.id("webhookDeliveries") },
  handler: async (ctx, { deliveryId }) => {
    const job = await ctx.runQuery(internal.events.delivery.loadAttempt, { deliveryId });
    if (!job) return null;
    const report = { deliveryId, attempt: job.attempts };
    if (job.body === null || job.msgId === null) {
      await ctx.runMutation(internal.events.delivery.recordAttempt, { ...report, ok: true });
      return null;
    }
    const target = checkOutboundUrl(job.url, { allowLocal: isLocalGateway() });
    if (!target.ok) {
      await ctx.runMutation(internal.events.delivery.recordAttempt, { ...report, ok: false, permanent: true, error: `url refused: ${target.reason}` });
      return null;
    }
    const headers = signWebhook(await openSecret(job.secretSealed), job.msgId, new Date(), job.body);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "convex-sso-gateway-webhooks/1", ...headers },
        body: job.body,
        redirect: "manual", // a redirect is a failure: following it would bypass the SSRF check
        signal: AbortSignal.timeout(gatewayOptions().events.webhookTimeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      error = (e as Error).name === "TimeoutError" ? "timeout" : `network error: ${(e as Error).message}`;
    }
    await ctx.runMutation(internal.events.delivery.recordAttempt, { ...report, ok: error === undefined, status, error });
    return null;
  },
});

export const recordAttempt = internalMutation({
  args: {
    deliveryId: v.id("webhookDeliveries"),
    attempt: v.number(),
    ok: v.boolean(),
    permanent: v.optional(v.boolean()),
    status: v.optional(v.number()),
    error: v.optional(v.string()),
  },
  handler: async (ctx, a) => {
    const delivery = await ctx.db.get(a.deliveryId);
    if (!delivery || delivery.attempts !== a.attempt) return null; // delivered already, or a stale duplicate
    if (a.ok) {
      await ctx.db.delete(delivery._id);
      const next = await laneHead(ctx, delivery.endpointId, delivery.lane);
      if (next) await scheduleHead(ctx, next);
      return null;
    }
    const attempts = delivery.attempts + 1;
    const lastError = (a.error ?? "failed").slice(0, MAX_ERROR);
    const decision = a.permanent ? { retry: false as const } : nextRetry(attempts, gatewayOptions().events.webhookRetryScheduleMs, Math.random);
    if (decision.retry) {
      const nextAttemptAt = Date.now() + decision.delayMs;
      await ctx.db.patch(delivery._id, { attempts, nextAttemptAt, lastError, lastStatus: a.status });
      await ctx.scheduler.runAfter(decision.delayMs, internal.events.delivery.attempt, { deliveryId: delivery._id });
      return null;
    }
    // Persistent failure: keep the row (a replay starts over from a cursor), disable the endpoint, say why.
    await ctx.db.patch(delivery._id, { attempts, lastError, lastStatus: a.status });
    const endpoint = await ctx.db.get(delivery.endpointId);
    if (!endpoint || endpoint.status === "disabled") return null;
    const reason = `event cursor ${delivery.cursor} failed ${attempts} attempt(s); last: ${lastError}`;
    await ctx.db.patch(endpoint._id, { status: "disabled", disabledAt: Date.now(), disabledReason: reason });
    const traceRef = await recordTrace(ctx, { protocol: "webhook", code: "webhook_endpoint_disabled", detail: `${endpoint.url}: ${reason}` });
    await logEvent(ctx, "webhook.endpoint_disabled", undefined, { endpointId: endpoint._id, reason, traceRef, attempts });
    return null;
  },
});

/**
 * Reschedule every lane head of the active endpoints. Convex's scheduler is durable, so a deployment never
 * needs this; the local gateway calls it at start (its convex-test timers die with the process), and an admin
 * may call it after restoring a backup. A duplicate attempt it may cause is ignored by recordAttempt.
 */
export const resume = internalMutation({
  args: {},
  returns: v.number(),
  handler: async (ctx) => {
    let endpoints = 0;
    for (const endpoint of await ctx.db.query("webhookEndpoints").take(50)) {
      if (endpoint.status !== "active") continue;
      await ctx.scheduler.runAfter(0, internal.events.delivery.resumeEndpoint, { endpointId: endpoint._id });
      endpoints++;
    }
    return endpoints;
  },
});

/** One endpoint's lane heads, one transaction per endpoint (bounded reads: one per lane, at most 1000 lanes). */
export const resumeEndpoint = internalMutation({
  args: { endpointId: v.id("webhookEndpoints") },
  handler: async (ctx, { endpointId }) => {
    const endpoint = await ctx.db.get(endpointId);
    if (endpoint?.status !== "active") return null;
    for (const head of await laneHeads(ctx, endpointId, 1000)) await scheduleHead(ctx, head);
    return null;
  },
});
