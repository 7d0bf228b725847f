// OIDC persistence: the only module of the RP that touches ctx.db. Every callback ends in ONE mutation
// (`finish`) that consumes the state and completes the sign-in in the same transaction.
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { internal } from "../_generated/api";
import { completeSignIn, logEvent, profileValidator } from "../signin";
import { oidcStateFields } from "../tables/oidc";

export const STATE_TTL_MS = 10 * 60 * 1000;

export const getDiscovery = internalQuery({
  args: { issuer: v.string() },
  handler: async (ctx, { issuer }) =>
    ctx.db.query("oidcDiscovery").withIndex("by_issuer", (q) => q.eq("issuer", issuer)).unique(),
});

export const putDiscovery = internalMutation({
  args: { issuer: v.string(), metadata: v.any() },
  returns: v.null(),
  handler: async (ctx, { issuer, metadata }) => {
    const row = await ctx.db.query("oidcDiscovery").withIndex("by_issuer", (q) => q.eq("issuer", issuer)).unique();
    if (row) await ctx.db.patch(row._id, { metadata, fetchedAt: Date.now() });
    else await ctx.db.insert("oidcDiscovery", { issuer, metadata, fetchedAt: Date.now() });
    return null;
  },
});

export const createState = internalMutation({
  args: oidcStateFields,
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = Date.now();
    await ctx.db.insert("oidcStates", { ...args, createdAt: now, expiresAt: now + STATE_TTL_MS });
    return null;
  },
});

/**
 * Everything the callback needs, read in one query (no writes). `knownDiscovery`: the calling isolate already
 * holds a fresh discovery document for this issuer (and names its jwks_uri), so that row is not read again;
 * explicit endpoints need no discovery row at all. The JWKS row is always read here (rotations made by
 * another isolate are seen at once).
 */
export const callbackContext = internalQuery({
  args: {
    connection: v.string(),
    state: v.optional(v.string()),
    knownDiscovery: v.optional(v.object({ issuer: v.string(), jwksUri: v.string() })),
  },
  handler: async (ctx, args) => {
    const connectionId = ctx.db.normalizeId("connections", args.connection);
    const connection = connectionId ? await ctx.db.get(connectionId) : null;
    if (!connection || connection.kind !== "oidc") return null;
    const stateRow = args.state
      ? await ctx.db.query("oidcStates").withIndex("by_state", (q) => q.eq("state", args.state!)).unique()
      : null;
    const issuer: unknown = connection.config?.issuer;
    const explicitJwksUri: unknown = connection.config?.endpoints ? connection.config.endpoints.jwks_uri : undefined;
    const known = args.knownDiscovery && args.knownDiscovery.issuer === issuer ? args.knownDiscovery : undefined;
    const discovery = typeof issuer === "string" && explicitJwksUri === undefined && !known
      ? await ctx.db.query("oidcDiscovery").withIndex("by_issuer", (q) => q.eq("issuer", issuer)).unique()
      : null;
    // The JWKS cached for this issuer, read in the same query (one round trip on the hot path).
    const jwksUri: unknown = explicitJwksUri ?? known?.jwksUri ?? discovery?.metadata?.jwks_uri;
    const jwks = typeof jwksUri === "string"
      ? await ctx.db.query("oidcJwks").withIndex("by_jwksUri", (q) => q.eq("jwksUri", jwksUri)).unique()
      : null;
    return {
      connection,
      stateRow,
      discovery,
      discoveryKnown: known !== undefined,
      jwksUri: typeof jwksUri === "string" ? jwksUri : null,
      jwks,
      now: Date.now(),
    };
  },
});

export const getJwks = internalQuery({
  args: { jwksUri: v.string() },
  handler: async (ctx, { jwksUri }) =>
    ctx.db.query("oidcJwks").withIndex("by_jwksUri", (q) => q.eq("jwksUri", jwksUri)).unique(),
});

/**
 * The callback's single write: consume the state (single use) and complete the sign-in, in one transaction.
 * A refreshed JWKS and the "groups not delivered" event ride along.
 */
export const finish = internalMutation({
  args: {
    stateId: v.id("oidcStates"),
    connectionId: v.id("connections"),
    profile: profileValidator,
    groupsNotDelivered: v.boolean(),
    groupsAsserted: v.optional(v.boolean()),
    jwks: v.optional(v.object({ jwksUri: v.string(), jwks: v.any() })),
  },
  returns: v.object({ redirectTo: v.string() }),
  handler: async (ctx, args) => {
    const now = Date.now();
    const state = await ctx.db.get(args.stateId);
    if (!state || state.connectionId !== args.connectionId) {
      throw new ConvexError({ kind: "OidcError", code: "state_invalid", message: "unknown state" });
    }
    if (state.usedAt !== undefined) {
      throw new ConvexError({ kind: "OidcError", code: "state_used", message: "state already used" });
    }
    if (state.expiresAt <= now) {
      throw new ConvexError({ kind: "OidcError", code: "state_invalid", message: "state expired" });
    }
    await ctx.db.patch(state._id, { usedAt: now });
    const { redirectTo } = await completeSignIn(ctx, {
      authRequestId: state.authRequestId,
      connectionId: args.connectionId,
      authMethod: "oidc",
      profile: args.profile,
      groupsAsserted: args.groupsAsserted === true,
    });
    if (args.groupsNotDelivered) {
      // Entra groups overage that Graph could not resolve, policy "default_role": the default role was given; say so.
      const connection = await ctx.db.get(args.connectionId);
      await logEvent(ctx, "oidc.groups_not_delivered", connection?.groupId, {
        connectionId: args.connectionId,
        subject: args.profile.subject,
      });
    }
    if (args.jwks) {
      const row = await ctx.db.query("oidcJwks").withIndex("by_jwksUri", (q) => q.eq("jwksUri", args.jwks!.jwksUri)).unique();
      if (row) await ctx.db.patch(row._id, { jwks: args.jwks.jwks, fetchedAt: now });
      else await ctx.db.insert("oidcJwks", { jwksUri: args.jwks.jwksUri, jwks: args.jwks.jwks, fetchedAt: now });
    }
    return { redirectTo };
  },
});

/** The gateway-held public key for private_key_jwt (what the IdP admin registers). */
export const clientPublicJwk = internalQuery({
  args: { connection: v.string() },
  handler: async (ctx, args) => {
    const id = ctx.db.normalizeId("connections", args.connection);
    const connection = id ? await ctx.db.get(id) : null;
    if (!connection || connection.kind !== "oidc") return null;
    const key = connection.config?.clientKey?.publicJwk;
    return key ? (key as Record<string, unknown>) : null;
  },
});

/** Bounded clean-up of expired states (call from a cron). */
export const purgeExpiredStates = internalMutation({
  args: { limit: v.optional(v.number()), chain: v.optional(v.boolean()) },
  returns: v.number(),
  handler: async (ctx, { limit, chain }) => {
    const n = Math.min(limit ?? 200, 500);
    const rows = await ctx.db
      .query("oidcStates")
      .withIndex("by_expiresAt", (q) => q.lt("expiresAt", Date.now()))
      .take(n);
    for (const r of rows) await ctx.db.delete(r._id);
    // The cron passes `chain`: a full batch schedules the next one at once, so the backlog never outgrows the hour.
    if (chain && rows.length === n) await ctx.scheduler.runAfter(0, internal.oidc.store.purgeExpiredStates, { limit: n, chain: true });
    return rows.length;
  },
});
