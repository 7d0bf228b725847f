// The SCIM request log: what the customer's IdP asked of a directory and what it got back, for the portal's
// SCIM page and the operator. No bodies, no tokens, no filter text: method, resource path, status, scimType,
// which token (its id), duration. Retention: swept after SCIM_REQUEST_LOG_RETENTION_MS (src/component/maintenance.ts).
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const scimLogTables = {
  scimRequests: defineTable({
    directoryId: v.id("scimDirectories"),
    at: v.number(),
    method: v.string(),
    /** "/Users/{id}", "/Groups", "/Bulk"… — the path only; the query string (filters hold user names) is not kept. */
    path: v.string(),
    /** The request had a query (filter, startIndex…); its text is not stored. */
    query: v.boolean(),
    status: v.number(),
    scimType: v.optional(v.string()),
    /** The token that authenticated the request (or the known-but-refused token of a 401). */
    tokenId: v.optional(v.id("scimTokens")),
    durationMs: v.optional(v.number()),
    /** Failed authentications within a minute are one row; this counts them. */
    count: v.optional(v.number()),
  })
    .index("by_directoryId_and_at", ["directoryId", "at"])
    .index("by_directoryId_and_status_and_at", ["directoryId", "status", "at"])
    .index("by_at", ["at"]),
};
