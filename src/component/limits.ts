// Rate limits on the anonymous endpoints (issue 9 §8), with convex-helpers' table-based token buckets
// (convex-helpers/server/rateLimit): transactional, no component to mount, works with offline codegen.
// Every bucket is keyed per client address (src/shared/clientAddress.ts) and, once the target is known to
// exist, per connection / client / directory. An unknown connection id consumes nothing and writes nothing.
import { v } from "convex/values";
import { defineRateLimits, type RateLimitConfig } from "convex-helpers/server/rateLimit";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "./lib/functions";
import type { Id } from "./_generated/dataModel";
import { gatewayOptions } from "./lib/env";
import { logScimAuthFailure } from "./scim/requestLog";
import { findLiveToken } from "./scim/store";

const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** rate per minute, capacity = rate (so an idle bucket is full again after one period and can be swept). */
const perMinute = (rate: number): RateLimitConfig => ({ kind: "token bucket", rate, period: MINUTE, capacity: rate });

export const RATE_LIMITS = {
  authorizeByAddress: perMinute(30),
  authorizeByConnection: perMinute(600),
  acsByAddress: perMinute(30),
  acsByConnection: perMinute(600),
  oidcCallbackByAddress: perMinute(30),
  oidcCallbackByConnection: perMinute(600),
  tokenByAddress: perMinute(120),
  tokenByClient: perMinute(6000),
  introspectByAddress: perMinute(600),
  introspectByClient: perMinute(6000),
  scimAuthFailureByAddress: perMinute(10),
  scimAuthFailureByDirectory: perMinute(60),
} as const;

/** The longest period of any bucket: a row idle this long is full, i.e. equivalent to no row. */
export const LONGEST_PERIOD_MS = HOUR;

const { rateLimit, checkRateLimit } = defineRateLimits(RATE_LIMITS);

export type Endpoint = "authorize" | "acs" | "oidcCallback" | "token" | "introspect" | "scimAuthFailure";
type Scoped = { byAddress: keyof typeof RATE_LIMITS; byScope: keyof typeof RATE_LIMITS };
const BUCKETS: Record<Endpoint, Scoped> = {
  authorize: { byAddress: "authorizeByAddress", byScope: "authorizeByConnection" },
  acs: { byAddress: "acsByAddress", byScope: "acsByConnection" },
  oidcCallback: { byAddress: "oidcCallbackByAddress", byScope: "oidcCallbackByConnection" },
  token: { byAddress: "tokenByAddress", byScope: "tokenByClient" },
  introspect: { byAddress: "introspectByAddress", byScope: "introspectByClient" },
  scimAuthFailure: { byAddress: "scimAuthFailureByAddress", byScope: "scimAuthFailureByDirectory" },
};

export type Limited = { ok: true } | { ok: false; retryAfterSec: number };

const limited = (retryAt: number | undefined): Limited => ({
  ok: false,
  retryAfterSec: Math.max(1, Math.ceil(((retryAt ?? Date.now() + MINUTE) - Date.now()) / 1000)),
});

/** Take one token from the address bucket and/or the scope's bucket (each when given), address first. */
export async function takeRateLimit(ctx: MutationCtx, endpoint: Endpoint, keys: { address?: string; scope?: string }): Promise<Limited> {
  const b = BUCKETS[endpoint];
  if (keys.address !== undefined) {
    const byAddress = await rateLimit(ctx, { name: b.byAddress, key: keys.address });
    if (!byAddress.ok) return limited(byAddress.retryAt);
  }
  if (keys.scope === undefined) return { ok: true };
  const byScope = await rateLimit(ctx, { name: b.byScope, key: keys.scope });
  return byScope.ok ? { ok: true } : limited(byScope.retryAt);
}

/** Read-only: would the address's next token be refused? (SCIM checks before authenticating.) */
export async function rateLimited(ctx: QueryCtx, endpoint: Endpoint, address: string): Promise<Limited> {
  const r = await checkRateLimit(ctx, { name: BUCKETS[endpoint].byAddress, key: address });
  return r.ok ? { ok: true } : limited(r.retryAt);
}

const limitedValidator = v.union(v.object({ ok: v.literal(true) }), v.object({ ok: v.literal(false), retryAfterSec: v.number() }));

/**
 * For the ACS and the OIDC callback: the connection must exist before anything is consumed or written
 * (`unknown`: the caller answers 404 and writes nothing).
 */
export const takeForConnection = internalMutation({
  args: { endpoint: v.union(v.literal("acs"), v.literal("oidcCallback")), address: v.string(), connection: v.string() },
  returns: v.union(limitedValidator, v.object({ ok: v.literal(false), unknown: v.literal(true) })),
  handler: async (ctx, { endpoint, address, connection }) => {
    const id = ctx.db.normalizeId("connections", connection);
    const row = id ? await ctx.db.get(id) : null;
    if (!row || row.kind !== (endpoint === "acs" ? "saml" : "oidc")) return { ok: false as const, unknown: true as const };
    return takeRateLimit(ctx, endpoint, { address, scope: row._id });
  },
});

/** For /oauth/token and /oauth/introspect: the client bucket only for a registered client_id. */
export const takeForClient = internalMutation({
  args: { endpoint: v.union(v.literal("token"), v.literal("introspect")), address: v.string(), clientId: v.optional(v.string()) },
  returns: limitedValidator,
  handler: async (ctx, { endpoint, address, clientId }) => {
    const app = clientId ? await ctx.db.query("apps").withIndex("by_clientId", (q) => q.eq("clientId", clientId)).unique() : null;
    return takeRateLimit(ctx, endpoint, { address, scope: app?.clientId });
  },
});

/**
 * Before a SCIM request: an address with too many failed authentications is refused — unless the request carries
 * a live token of the directory. IdPs provision from shared egress addresses (every Okta tenant, every Entra
 * tenant), so one customer's wrong token must not lock another customer's provisioning out; a guesser without a
 * token still gets 429 at the cost of this one read.
 */
export const checkScimAuth = internalQuery({
  args: { address: v.string(), directory: v.string(), tokenHash: v.optional(v.string()) },
  returns: limitedValidator,
  handler: async (ctx, { address, directory, tokenHash }) => {
    const limit = await rateLimited(ctx, "scimAuthFailure", address);
    if (limit.ok || !tokenHash) return limit;
    return (await findLiveToken(ctx, directory, tokenHash, Date.now())) ? { ok: true as const } : limit;
  },
});

/**
 * A failed SCIM authentication: one token per address and, when the directory exists, per directory; an existing
 * directory's request log shows it (one row per minute, counted: src/component/scim/requestLog.ts).
 */
export const recordScimAuthFailure = internalMutation({
  args: {
    address: v.string(),
    directory: v.string(),
    tokenHash: v.optional(v.string()),
    request: v.optional(v.object({ method: v.string(), segments: v.array(v.string()), hasQuery: v.boolean(), durationMs: v.optional(v.number()) })),
  },
  returns: limitedValidator,
  handler: async (ctx, { address, directory, tokenHash, request }) => {
    const dir = await ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", directory)).unique();
    if (dir && request) await logScimAuthFailure(ctx, dir, Date.now(), request, tokenHash);
    return takeRateLimit(ctx, "scimAuthFailure", { address, scope: dir?._id });
  },
});

/** signIn.maxFailedAttemptsPerHour per IdP subject (connection + subject). */
function failedSignInConfig(): RateLimitConfig {
  const n = gatewayOptions().signIn.maxFailedAttemptsPerHour;
  return { kind: "token bucket", rate: n, period: HOUR, capacity: n };
}
const subjectKey = (connectionId: Id<"connections">, subject: string) => `${connectionId}:${subject.slice(0, 256)}`;

export async function failedSignInsExceeded(ctx: QueryCtx, connectionId: Id<"connections">, subject: string): Promise<Limited> {
  const r = await checkRateLimit(ctx, { name: "failedSignInBySubject", key: subjectKey(connectionId, subject), config: failedSignInConfig() });
  return r.ok ? { ok: true } : limited(r.retryAt);
}

export async function recordFailedSignIn(ctx: MutationCtx, connectionId: Id<"connections">, subject: string): Promise<void> {
  await rateLimit(ctx, { name: "failedSignInBySubject", key: subjectKey(connectionId, subject), config: failedSignInConfig() });
}

export const checkFailedSignIns = internalQuery({
  args: { connectionId: v.id("connections"), subject: v.string() },
  returns: limitedValidator,
  handler: (ctx, { connectionId, subject }) => failedSignInsExceeded(ctx, connectionId, subject),
});
