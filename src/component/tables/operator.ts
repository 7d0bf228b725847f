// The operator's page (/portal/operator/): single-use, short-lived operator links minted by the deployment admin
// (CLI) or by the app for a member holding `gateway:admin`, and the sessions they open. Same shape as the
// setup portal's links and sessions (src/component/portal/session.ts holds the shared machinery), not scoped
// to a group.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const operatorTables = {
  operatorLinks: defineTable({
    hash: v.string(), // base64url SHA-256 of the link token; the token itself is never stored
    createdAt: v.number(),
    expiresAt: v.number(),
    /** Who minted it: "cli", or "user:<id>" for an app member with gateway:admin. */
    createdBy: v.optional(v.string()),
    usedAt: v.optional(v.number()),
    revokedAt: v.optional(v.number()),
  }).index("by_hash", ["hash"]),

  operatorSessions: defineTable({
    linkId: v.id("operatorLinks"),
    hash: v.string(), // SHA-256 of the cookie value
    csrf: v.string(),
    createdAt: v.number(),
    expiresAt: v.number(),
    revokedAt: v.optional(v.number()),
  }).index("by_hash", ["hash"]),
};
