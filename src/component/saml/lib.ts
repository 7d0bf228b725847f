// Shared adapter helpers for the SAML modules (no Convex functions here).
import { ConvexError, v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../lib/functions";
import { parseSamlConfig, type SamlConfig } from "../../saml/config";
import { spEndpoints, type SpEndpoints } from "../../saml/endpoints";
import { siteUrl } from "../lib/env";

/** A validated assertion as the node validator returns it and the ACS finish mutation takes it. */
export const assertionValidator = v.object({
  id: v.string(),
  issuer: v.string(),
  inResponseTo: v.union(v.string(), v.null()),
  nameId: v.string(),
  nameIdFormat: v.union(v.string(), v.null()),
  sessionIndex: v.union(v.string(), v.null()),
  notOnOrAfter: v.number(),
  attributes: v.record(v.string(), v.array(v.string())),
});

export type SamlFailure = { kind: "SamlError"; code: string; message: string };

/** Errors crossing a function boundary are ConvexError values with a kind (COMMON.md). */
export function samlFail(code: string, message: string): ConvexError<SamlFailure> {
  return new ConvexError({ kind: "SamlError" as const, code, message });
}

export function endpointsFor(connectionId: Id<"connections"> | string): SpEndpoints {
  return spEndpoints(siteUrl(), connectionId);
}

/** The stored config, re-validated on read (it was validated on write; this catches a schema change). */
export function configOf(connection: Doc<"connections">): SamlConfig {
  return parseSamlConfig(connection.config);
}

/** An untrusted id string from a URL → the SAML connection, or null. */
export async function samlConnectionById(ctx: QueryCtx, raw: string): Promise<Doc<"connections"> | null> {
  const id = ctx.db.normalizeId("connections", raw);
  if (!id) return null;
  const c = await ctx.db.get(id);
  return c && c.kind === "saml" ? c : null;
}

/**
 * The usable SP keys of one use (not retired), newest first. Retired rows pile up with every rotation, and the
 * live ones (at most two: active + next or active + previous) are always the newest, so a bounded read of the
 * newest rows finds them whatever the history.
 */
export async function spKeys(ctx: QueryCtx, connectionId: Id<"connections">, use: "signing" | "encryption") {
  const rows = await ctx.db
    .query("samlSpKeys")
    .withIndex("by_connectionId_and_use", (q) => q.eq("connectionId", connectionId).eq("use", use))
    .order("desc")
    .take(10);
  return rows.filter((r) => r.status !== "retired");
}
