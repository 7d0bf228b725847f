// The SCIM request log (table scimRequests): one row per SCIM request a directory received, for the portal's
// SCIM page and the operator. What is kept: time, method, resource path (no query text, no body), status,
// scimType, the token's id, duration. Never a token, a body or a filter.
//
// Where rows are written:
// - a successful operation: inside its own transaction (src/component/scim/api.ts `handle`), so a row exists
//   exactly when the change committed;
// - a failed operation of an authenticated caller: the failure rolled its transaction back, so the HTTP action
//   records it with `recordFailure`, which re-checks the token first (an unauthenticated caller writes nothing);
// - a failed authentication (401): with the rate-limit bookkeeping (src/component/limits.ts), only against an
//   existing directory, and all 401s of a directory within a minute are ONE row with a count — anonymous
//   callers cannot grow the table faster than one row per directory per minute.
// Retention: rows older than SCIM_REQUEST_LOG_RETENTION_MS are deleted by the hourly sweep (maintenance.ts).
import { v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "../lib/functions";

export const SCIM_REQUEST_LOG_RETENTION_MS = 7 * 24 * 3600_000;
/** 401s of one directory within this window share a row. */
const AUTH_FAILURE_WINDOW_MS = 60_000;
const MAX_SEGMENT = 64;
const MAX_PATH = 200;

export interface ScimRequestEntry {
  method: string;
  segments: readonly string[];
  hasQuery: boolean;
  status: number;
  scimType?: string | null;
  tokenId?: Id<"scimTokens">;
  durationMs?: number;
}

/** "/Users/2819c223…": the resource path as the IdP sent it (segments decoded), bounded. */
export function resourcePath(segments: readonly string[]): string {
  const path = "/" + segments.map((s) => s.slice(0, MAX_SEGMENT)).join("/");
  return path.slice(0, MAX_PATH);
}

function row(directoryId: Id<"scimDirectories">, at: number, e: ScimRequestEntry) {
  return {
    directoryId,
    at,
    method: e.method.toUpperCase().slice(0, 10),
    path: resourcePath(e.segments),
    query: e.hasQuery,
    status: e.status,
    ...(e.scimType ? { scimType: e.scimType.slice(0, 32) } : {}),
    ...(e.tokenId ? { tokenId: e.tokenId } : {}),
    ...(e.durationMs !== undefined ? { durationMs: Math.max(0, Math.round(e.durationMs)) } : {}),
  };
}

/** Called inside the SCIM operation's transaction. */
export async function logScimRequest(ctx: MutationCtx, directoryId: Id<"scimDirectories">, at: number, e: ScimRequestEntry): Promise<void> {
  await ctx.db.insert("scimRequests", row(directoryId, at, e));
}

/**
 * A failed authentication against an existing directory: one row per directory per minute, counted. The token
 * is named only when it is one of this directory's (revoked or expired) tokens.
 */
export async function logScimAuthFailure(ctx: MutationCtx, dir: Doc<"scimDirectories">, now: number, e: Omit<ScimRequestEntry, "status" | "tokenId">, tokenHash?: string): Promise<void> {
  let tokenId: Id<"scimTokens"> | undefined;
  if (tokenHash) {
    const tok = await ctx.db.query("scimTokens").withIndex("by_hash", (q) => q.eq("hash", tokenHash)).unique();
    if (tok && tok.directoryId === dir._id) tokenId = tok._id;
  }
  const recent = await ctx.db
    .query("scimRequests")
    .withIndex("by_directoryId_and_status_and_at", (q) => q.eq("directoryId", dir._id).eq("status", 401).gt("at", now - AUTH_FAILURE_WINDOW_MS))
    .order("desc")
    .first();
  if (recent) {
    await ctx.db.patch(recent._id, { at: now, count: (recent.count ?? 1) + 1, ...(tokenId ? { tokenId } : {}) });
    return;
  }
  await ctx.db.insert("scimRequests", row(dir._id, now, { ...e, status: 401, ...(tokenId ? { tokenId } : {}) }));
}

/**
 * A request that authenticated but failed (its transaction rolled back), or was refused before the operation
 * ran (body too large, wrong content type). Written only when the token is valid for the directory now.
 */
export const recordFailure = internalMutation({
  args: {
    directory: v.string(),
    tokenHash: v.string(),
    method: v.string(),
    segments: v.array(v.string()),
    hasQuery: v.boolean(),
    status: v.number(),
    scimType: v.optional(v.string()),
    durationMs: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, a) => {
    const now = Date.now();
    const dir = await ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", a.directory)).unique();
    if (!dir) return null;
    const tok = await ctx.db.query("scimTokens").withIndex("by_hash", (q) => q.eq("hash", a.tokenHash)).unique();
    if (!tok || tok.directoryId !== dir._id || tok.revokedAt !== undefined || (tok.expiresAt !== undefined && tok.expiresAt <= now)) return null;
    await logScimRequest(ctx, dir._id, now, { ...a, tokenId: tok._id });
    return null;
  },
});

export const requestView = v.object({
  at: v.number(),
  method: v.string(),
  path: v.string(),
  query: v.boolean(),
  status: v.number(),
  scimType: v.union(v.string(), v.null()),
  token: v.union(v.object({ tokenId: v.id("scimTokens"), name: v.string(), hint: v.string() }), v.null()),
  durationMs: v.union(v.number(), v.null()),
  count: v.number(),
});

/** The newest requests of a directory, newest first, with the token's name and hint (never the token). */
export async function recentScimRequests(ctx: QueryCtx, directoryId: Id<"scimDirectories">, limit: number) {
  const rows = await ctx.db
    .query("scimRequests")
    .withIndex("by_directoryId_and_at", (q) => q.eq("directoryId", directoryId))
    .order("desc")
    .take(Math.max(1, Math.min(limit, 200)));
  const tokens = new Map<string, Doc<"scimTokens"> | null>();
  const out = [];
  for (const r of rows) {
    if (r.tokenId && !tokens.has(r.tokenId)) tokens.set(r.tokenId, await ctx.db.get(r.tokenId));
    const t = r.tokenId ? tokens.get(r.tokenId) : null;
    out.push({
      at: r.at,
      method: r.method,
      path: r.path,
      query: r.query,
      status: r.status,
      scimType: r.scimType ?? null,
      token: t ? { tokenId: t._id, name: t.name, hint: t.hint } : null,
      durationMs: r.durationMs ?? null,
      count: r.count ?? 1,
    });
  }
  return out;
}

/** Admin: `npm run admin -- scim/requestLog:recent '{"directoryId":"…"}'`. */
export const recent = internalQuery({
  args: { directoryId: v.id("scimDirectories"), limit: v.optional(v.number()) },
  returns: v.array(requestView),
  handler: (ctx, a) => recentScimRequests(ctx, a.directoryId, a.limit ?? 50),
});

/** Retention: delete rows past SCIM_REQUEST_LOG_RETENTION_MS, at most `limit` (the sweep chains while full). */
export async function sweepScimRequests(ctx: MutationCtx, now: number, limit: number): Promise<number> {
  const old = await ctx.db.query("scimRequests").withIndex("by_at", (q) => q.lt("at", now - SCIM_REQUEST_LOG_RETENTION_MS)).take(limit);
  for (const r of old) await ctx.db.delete(r._id);
  return old.length;
}
