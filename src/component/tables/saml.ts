// SAML service-provider tables. Every table that grows per login has an expiry and an index to sweep it by.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const samlTables = {
  /** AuthnRequests we sent and still expect an answer to (InResponseTo), single use, TTL = the auth request's. */
  samlRequests: defineTable({
    connectionId: v.id("connections"),
    requestId: v.string(), // the AuthnRequest ID
    authRequestId: v.id("authRequests"),
    relayState: v.string(), // opaque, random, ≤ 80 bytes (SAML Bindings §3.4.3)
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
  })
    .index("by_relayState", ["relayState"])
    .index("by_connectionId_and_requestId", ["connectionId", "requestId"])
    .index("by_connectionId_and_expiresAt", ["connectionId", "expiresAt"])
    .index("by_expiresAt", ["expiresAt"]),

  /** Assertion IDs already consumed, kept until their NotOnOrAfter (+ skew): the replay cache. */
  samlSeenAssertions: defineTable({
    connectionId: v.id("connections"),
    assertionId: v.string(),
    expiresAt: v.number(),
    at: v.number(),
  })
    .index("by_connectionId_and_assertionId", ["connectionId", "assertionId"])
    .index("by_expiresAt", ["expiresAt"]),

  /** The SP's own keys per connection; private keys sealed with GATEWAY_ENCRYPTION_KEY. */
  samlSpKeys: defineTable({
    connectionId: v.id("connections"),
    use: v.union(v.literal("signing"), v.literal("encryption")),
    /**
     * active: in use; next: published ahead of rotation (encryption: also tried); previous: replaced, no longer
     * published, still tried for decryption during the overlap; retired: kept for the record.
     */
    status: v.union(v.literal("active"), v.literal("next"), v.literal("previous"), v.literal("retired")),
    sealedPrivateKey: v.string(),
    certificate: v.string(), // base64 DER
    notAfter: v.number(),
    createdAt: v.number(),
    /** When it stopped being active (promote) and when it was retired. */
    replacedAt: v.optional(v.number()),
    retiredAt: v.optional(v.number()),
  }).index("by_connectionId_and_use", ["connectionId", "use"]),

  /** History of the IdP's trusted certificates: added / removed (metadata refresh, admin) and expiry warnings. */
  samlCertChanges: defineTable({
    connectionId: v.id("connections"),
    groupId: v.id("groups"),
    change: v.union(v.literal("added"), v.literal("removed"), v.literal("expiring")),
    sha256: v.string(),
    subjectCn: v.optional(v.string()),
    notAfter: v.number(),
    source: v.union(v.literal("metadata_url"), v.literal("admin"), v.literal("cron")),
    at: v.number(),
  }).index("by_connectionId_and_sha256", ["connectionId", "sha256"]),

  /** Metadata-URL refresh state per connection (last attempt, last error). */
  samlMetadataState: defineTable({
    connectionId: v.id("connections"),
    lastFetchedAt: v.number(),
    lastOkAt: v.optional(v.number()),
    lastError: v.optional(v.string()),
  }).index("by_connectionId", ["connectionId"]),

  /** Which IdP session (NameID + SessionIndex) each gateway session came from, for SLO. */
  samlSessions: defineTable({
    sessionId: v.id("sessions"),
    connectionId: v.id("connections"),
    nameId: v.string(),
    nameIdFormat: v.optional(v.string()),
    sessionIndex: v.optional(v.string()),
    expiresAt: v.number(),
  })
    .index("by_connectionId_and_nameId", ["connectionId", "nameId"])
    .index("by_sessionId", ["sessionId"])
    .index("by_expiresAt", ["expiresAt"]),

  /** SP-initiated LogoutRequests awaiting the IdP's LogoutResponse. */
  samlLogoutRequests: defineTable({
    connectionId: v.id("connections"),
    requestId: v.string(),
    returnTo: v.optional(v.string()),
    expiresAt: v.number(),
  })
    .index("by_connectionId_and_requestId", ["connectionId", "requestId"])
    .index("by_expiresAt", ["expiresAt"]),
};
