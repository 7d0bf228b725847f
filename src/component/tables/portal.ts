// Self-service portal: setup links (a single-use capability per group), the sessions they open, and the
// test sign-ins that must succeed before a connection set up from the portal is activated.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const portalIntent = v.union(v.literal("sso"), v.literal("scim"), v.literal("domains"), v.literal("traces"));

export const portalTables = {
  portalLinks: defineTable({
    groupId: v.id("groups"),
    hash: v.string(), // base64url SHA-256 of the link token; the token itself is never stored
    intents: v.array(portalIntent),
    createdAt: v.number(),
    expiresAt: v.number(),
    createdBy: v.optional(v.string()),
    usedAt: v.optional(v.number()),
    revokedAt: v.optional(v.number()),
  })
    .index("by_hash", ["hash"])
    .index("by_group", ["groupId"]),

  portalSessions: defineTable({
    linkId: v.id("portalLinks"),
    groupId: v.id("groups"),
    hash: v.string(), // SHA-256 of the cookie value
    csrf: v.string(), // the CSRF token every form carries (synchronizer token)
    intents: v.array(portalIntent),
    createdAt: v.number(),
    expiresAt: v.number(),
    revokedAt: v.optional(v.number()),
  })
    .index("by_hash", ["hash"])
    .index("by_link", ["linkId"]),

  portalTests: defineTable({
    groupId: v.id("groups"),
    connectionId: v.id("connections"),
    portalSessionId: v.id("portalSessions"),
    startedAt: v.number(),
    status: v.union(v.literal("pending"), v.literal("succeeded")),
    /** What the IdP asserted and what the gateway would make of it (no session is created). */
    result: v.optional(v.any()),
  })
    .index("by_connectionId_and_startedAt", ["connectionId", "startedAt"]),

  /**
   * A connection begun in the portal: which IdP guide it follows, and whether the IdP side was saved (until
   * then it holds a placeholder IdP and cannot be tested or activated).
   */
  portalSetups: defineTable({
    groupId: v.id("groups"),
    connectionId: v.id("connections"),
    idp: v.string(),
    configuredAt: v.optional(v.number()),
    testedAt: v.optional(v.number()),
  }).index("by_connectionId", ["connectionId"]),
};
