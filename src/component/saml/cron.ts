// Scheduled SAML upkeep (src/component/crons.ts): re-fetch metadata URLs (recording certificate changes), warn ≥ 30 days
// before a trusted IdP certificate expires, and sweep expired request / replay / logout rows.
import { v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "../lib/functions";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import { parseCertificate } from "../../saml/x509";
import { logEvent } from "../signin";
import { groupBySlug } from "../lib/lookups";
import { gatewayOptions } from "../lib/env";

const MAX_CONNECTIONS = 500;

export const connectionForRefresh = internalQuery({
  args: { connectionId: v.id("connections") },
  handler: async (ctx, { connectionId }) => {
    const c = await ctx.db.get(connectionId);
    return c && c.kind === "saml" ? { _id: c._id, groupId: c.groupId, config: c.config } : null;
  },
});

export const findForSeed = internalQuery({
  args: { groupSlug: v.string(), connectionId: v.optional(v.string()), name: v.string() },
  handler: async (ctx, a) => {
    const group = await groupBySlug(ctx, a.groupSlug);
    if (!group) return { groupId: null, connectionId: null };
    const hinted = a.connectionId ? ctx.db.normalizeId("connections", a.connectionId) : null;
    if (hinted) {
      const c = await ctx.db.get(hinted);
      if (c && c.kind === "saml" && c.groupId === group._id) return { groupId: group._id, connectionId: c._id };
    }
    const all = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", group._id)).take(50);
    const byName = all.find((c) => c.kind === "saml" && c.name === a.name);
    return { groupId: group._id, connectionId: byName?._id ?? null };
  },
});

/** SAML connections (bounded): the connections table holds tens to hundreds of rows, not users. */
export const samlConnections = internalQuery({
  args: {},
  handler: async (ctx) => {
    const rows = await ctx.db.query("connections").take(MAX_CONNECTIONS * 2);
    return rows
      .filter((c) => c.kind === "saml")
      .slice(0, MAX_CONNECTIONS)
      .map((c) => ({ _id: c._id, metadataUrl: (c.config?.idp?.metadataUrl as string | undefined) ?? null }));
  },
});

export const recordFetch = internalMutation({
  args: { connectionId: v.id("connections"), error: v.optional(v.string()) },
  handler: async (ctx, { connectionId, error }) => {
    const now = Date.now();
    const row = await ctx.db.query("samlMetadataState").withIndex("by_connectionId", (q) => q.eq("connectionId", connectionId)).unique();
    const patch = { lastFetchedAt: now, lastError: error, ...(error ? {} : { lastOkAt: now }) };
    if (row) await ctx.db.patch(row._id, patch);
    else await ctx.db.insert("samlMetadataState", { connectionId, ...patch });
    if (error) {
      const c = await ctx.db.get(connectionId);
      await logEvent(ctx, "saml.metadata.refresh_failed", c?.groupId, { connectionId, error });
    }
    return null;
  },
});

/** One event per certificate that expires within the warning window (`certificates.warningDays`, default 30) or has expired, raised once per certificate. */
export const checkExpiry = internalMutation({
  args: { now: v.optional(v.number()) },
  returns: v.number(),
  handler: async (ctx, a) => {
    const now = a.now ?? Date.now();
    const warningMs = gatewayOptions().certificates.warningDays * 86_400_000;
    const rows = await ctx.db.query("connections").take(MAX_CONNECTIONS * 2);
    let raised = 0;
    for (const c of rows) {
      if (c.kind !== "saml" || c.status !== "active") continue;
      for (const cert of (c.config?.idp?.certificates ?? []) as string[]) {
        const info = await parseCertificate(cert);
        if (info.notAfter - now > warningMs) continue;
        const prior = await ctx.db
          .query("samlCertChanges")
          .withIndex("by_connectionId_and_sha256", (q) => q.eq("connectionId", c._id).eq("sha256", info.sha256))
          .take(20);
        if (prior.some((p) => p.change === "expiring")) continue;
        await ctx.db.insert("samlCertChanges", {
          connectionId: c._id,
          groupId: c.groupId,
          change: "expiring",
          sha256: info.sha256,
          subjectCn: info.subjectCn ?? undefined,
          notAfter: info.notAfter,
          source: "cron",
          at: now,
        });
        await logEvent(ctx, "connection.certificate_expiring", c.groupId, {
          connectionId: c._id,
          sha256: info.sha256,
          notAfter: info.notAfter,
          daysLeft: Math.floor((info.notAfter - now) / 86_400_000),
        });
        raised++;
      }
    }
    return raised;
  },
});

/** Delete expired rows, a bounded batch per table per run. */
/** Expired SAML rows, 500 per table per call; with `chain` (the cron) it re-schedules itself until none is left. */
export const sweep = internalMutation({
  args: { chain: v.optional(v.boolean()) },
  handler: async (ctx, { chain }) => {
    const now = Date.now();
    const BATCH = 500;
    let more = false;
    for (const table of ["samlRequests", "samlSeenAssertions", "samlLogoutRequests", "samlSessions"] as const) {
      const old = await ctx.db.query(table).withIndex("by_expiresAt", (q) => q.lt("expiresAt", now)).take(BATCH);
      for (const r of old) await ctx.db.delete(r._id);
      more ||= old.length === BATCH;
    }
    if (chain && more) await ctx.scheduler.runAfter(0, internal.saml.cron.sweep, { chain: true });
    return null;
  },
});

/** The daily job. A failing URL is recorded and does not stop the others; trusted certs stay as they were. */
export const refreshAll = internalAction({
  args: {},
  handler: async (ctx) => {
    const conns = await ctx.runQuery(internal.saml.cron.samlConnections, {});
    for (const c of conns) {
      if (!c.metadataUrl) continue;
      try {
        await ctx.runAction(internal.saml.admin.refreshFromMetadata, { connectionId: c._id as Id<"connections"> });
        await ctx.runMutation(internal.saml.cron.recordFetch, { connectionId: c._id });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        await ctx.runMutation(internal.saml.cron.recordFetch, { connectionId: c._id, error: msg.slice(0, 300) });
      }
    }
    await ctx.runMutation(internal.saml.cron.checkExpiry, {});
    await ctx.runMutation(internal.saml.cron.sweep, {});
    return null;
  },
});
