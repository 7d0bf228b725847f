// SCIM 2.0 provisioning tables (issue 6). One directory per group; resources are stored as canonical SCIM
// JSON text (keys such as "$ref" and URNs are not Convex field names) plus normalised index fields.
// Everything a list or a lookup needs is indexed; counts are maintained, never recounted by scanning.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const scimRoleRule = v.object({
  /** Which attribute of a SCIM group the rule matches (compared case-insensitively). */
  attribute: v.union(v.literal("displayName"), v.literal("externalId")),
  value: v.string(),
  role: v.string(),
});

export const scimResourceKind = v.union(v.literal("User"), v.literal("Group"));

export const scimTables = {
  scimDirectories: defineTable({
    groupId: v.id("groups"),
    /** The `{directory}` segment of `/scim/v2/{directory}/…`. */
    slug: v.string(),
    name: v.string(),
    userCount: v.number(),
    groupCount: v.number(),
    nextUserSeq: v.number(),
    nextGroupSeq: v.number(),
    roleRules: v.optional(v.array(scimRoleRule)),
    createdAt: v.number(),
  })
    .index("by_slug", ["slug"])
    .index("by_groupId", ["groupId"]),

  /** Bearer tokens, stored as base64url SHA-256; several may be active at once (rotation overlap). */
  scimTokens: defineTable({
    directoryId: v.id("scimDirectories"),
    hash: v.string(),
    name: v.string(),
    /** First characters of the token, to tell tokens apart in an admin list (not enough to use it). */
    hint: v.string(),
    createdAt: v.number(),
    expiresAt: v.optional(v.number()),
    lastUsedAt: v.optional(v.number()),
    revokedAt: v.optional(v.number()),
  })
    .index("by_hash", ["hash"])
    .index("by_directoryId", ["directoryId"]),

  scimUsers: defineTable({
    directoryId: v.id("scimDirectories"),
    /** Insertion order within the directory: the stable default list order. */
    seq: v.number(),
    json: v.string(),
    userNameLower: v.string(),
    externalId: v.optional(v.string()),
    displayNameLower: v.optional(v.string()),
    active: v.boolean(),
    /** The gateway user this SCIM user is linked to (identities-like link). */
    userId: v.optional(v.id("users")),
    version: v.number(),
    created: v.number(),
    lastModified: v.number(),
  })
    .index("by_directoryId_and_seq", ["directoryId", "seq"])
    .index("by_directoryId_and_userNameLower", ["directoryId", "userNameLower"])
    .index("by_directoryId_and_externalId", ["directoryId", "externalId"])
    .index("by_directoryId_and_displayNameLower", ["directoryId", "displayNameLower"])
    .index("by_userId", ["userId"]),

  /** One row per email value of a SCIM user: `emails.value eq` is an index lookup. */
  scimUserEmails: defineTable({
    directoryId: v.id("scimDirectories"),
    scimUserId: v.id("scimUsers"),
    valueLower: v.string(),
  })
    .index("by_directoryId_and_valueLower", ["directoryId", "valueLower"])
    .index("by_scimUserId", ["scimUserId"]),

  scimGroups: defineTable({
    directoryId: v.id("scimDirectories"),
    seq: v.number(),
    json: v.string(),
    displayNameLower: v.string(),
    externalId: v.optional(v.string()),
    memberCount: v.number(),
    version: v.number(),
    created: v.number(),
    lastModified: v.number(),
  })
    .index("by_directoryId_and_seq", ["directoryId", "seq"])
    .index("by_directoryId_and_displayNameLower", ["directoryId", "displayNameLower"])
    .index("by_directoryId_and_externalId", ["directoryId", "externalId"]),

  /** Group membership in its own table (a group may hold tens of thousands), indexed both ways. */
  scimGroupMembers: defineTable({
    directoryId: v.id("scimDirectories"),
    groupId: v.id("scimGroups"),
    userId: v.id("scimUsers"),
  })
    .index("by_groupId_and_userId", ["groupId", "userId"])
    .index("by_userId_and_groupId", ["userId", "groupId"]),

  /**
   * Live resources per block of `seq` values, at two levels (level 0: SEQ_BUCKET seqs, level 1: SEQ_BUCKET²):
   * `startIndex` jumps to a deep page by summing a few counters instead of skipping thousands of rows
   * (RFC 7644 §3.4.2.4 index-based pagination).
   */
  scimSeqBuckets: defineTable({
    directoryId: v.id("scimDirectories"),
    kind: scimResourceKind,
    level: v.number(),
    bucket: v.number(),
    live: v.number(),
  }).index("by_directoryId_and_kind_and_level_and_bucket", ["directoryId", "kind", "level", "bucket"]),
};
