// Foundation tables: tenants, apps, people, sessions and the OAuth artefacts.
// Each protocol (SAML, OIDC, SCIM) keeps its own tables in a sibling module; schema.ts merges them.
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const authMethod = v.union(v.literal("saml"), v.literal("oidc"), v.literal("dev"));
export const membershipSource = v.union(
  v.literal("jit"),
  v.literal("scim"),
  v.literal("admin"),
  v.literal("dev"),
);

export const groupPolicy = v.object({
  /** Role given to a member when no rule matches. */
  defaultRole: v.string(),
  /** How a SCIM-provisioned person is matched to an SSO login: first match wins. */
  matchUsersBy: v.optional(v.array(v.union(v.literal("externalId"), v.literal("userName"), v.literal("email")))),
  /** What SCIM deactivation / DELETE does to the membership. */
  onDeprovision: v.optional(v.union(v.literal("deactivate"), v.literal("remove"))),
});

export const coreTables = {
  groups: defineTable({
    slug: v.string(),
    name: v.string(),
    policy: groupPolicy,
    createdAt: v.number(),
  }).index("by_slug", ["slug"]),

  /** Email domains a group claims, for home-realm discovery. Admin-declared for now. */
  domains: defineTable({
    groupId: v.id("groups"),
    domain: v.string(), // lower-case, no leading "@"
    verified: v.boolean(),
  })
    .index("by_domain", ["domain"])
    .index("by_group", ["groupId"]),

  apps: defineTable({
    clientId: v.string(),
    name: v.string(),
    redirectUris: v.array(v.string()), // exact match
    audience: v.string(), // the JWT "aud", default "convex"
    createdAt: v.number(),
  }).index("by_clientId", ["clientId"]),

  /** SSO connections of every kind; `config` is validated by the kind's own core when written. */
  connections: defineTable({
    groupId: v.id("groups"),
    kind: v.union(v.literal("saml"), v.literal("oidc")),
    name: v.string(),
    status: v.union(v.literal("active"), v.literal("disabled")),
    config: v.any(),
    /** value → role rules applied to the IdP's groups / roles. */
    roleRules: v.optional(v.array(v.object({ value: v.string(), role: v.string() }))),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_group", ["groupId"]),

  users: defineTable({
    email: v.optional(v.string()),
    emailLower: v.optional(v.string()),
    emailVerified: v.boolean(),
    name: v.optional(v.string()),
    createdAt: v.number(),
  }).index("by_emailLower", ["emailLower"]),

  /** An IdP subject (per connection) linked to a user. */
  identities: defineTable({
    userId: v.id("users"),
    groupId: v.id("groups"),
    connectionId: v.optional(v.id("connections")),
    provider: v.string(), // "connection:<id>" or "dev:<groupId>"
    subject: v.string(),
    email: v.optional(v.string()),
    lastLoginAt: v.number(),
  })
    .index("by_provider_and_subject", ["provider", "subject"])
    .index("by_user", ["userId"]),

  memberships: defineTable({
    groupId: v.id("groups"),
    userId: v.id("users"),
    role: v.string(),
    roles: v.array(v.string()),
    source: membershipSource,
    status: v.union(v.literal("active"), v.literal("inactive")),
    updatedAt: v.number(),
  })
    .index("by_group_and_user", ["groupId", "userId"])
    .index("by_user", ["userId"]),

  /** A pending sign-in started at /sso/authorize: what the app asked for, while the user is at the IdP. */
  authRequests: defineTable({
    appId: v.id("apps"),
    redirectUri: v.string(),
    state: v.optional(v.string()),
    codeChallenge: v.string(),
    groupId: v.id("groups"),
    connectionId: v.optional(v.id("connections")),
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
  }).index("by_expiresAt", ["expiresAt"]),

  sessions: defineTable({
    userId: v.id("users"),
    groupId: v.id("groups"),
    appId: v.id("apps"),
    connectionId: v.optional(v.id("connections")),
    authMethod,
    createdAt: v.number(),
    expiresAt: v.number(),
    lastUsedAt: v.number(),
    revokedAt: v.optional(v.number()),
    revokedReason: v.optional(v.string()),
  })
    .index("by_user", ["userId"])
    .index("by_group_and_user", ["groupId", "userId"]),

  refreshTokens: defineTable({
    sessionId: v.id("sessions"),
    hash: v.string(), // base64url SHA-256 of the token
    createdAt: v.number(),
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
  })
    .index("by_hash", ["hash"])
    .index("by_session", ["sessionId"])
    .index("by_expiresAt", ["expiresAt"]),

  authCodes: defineTable({
    hash: v.string(),
    sessionId: v.id("sessions"),
    appId: v.id("apps"),
    redirectUri: v.string(),
    codeChallenge: v.string(),
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
  })
    .index("by_hash", ["hash"])
    .index("by_expiresAt", ["expiresAt"]),

  /** Audit trail and the outbound-event feed. */
  events: defineTable({
    type: v.string(),
    groupId: v.optional(v.id("groups")),
    data: v.any(),
    at: v.number(),
  }).index("by_group", ["groupId"]),

  /** Why a login failed: a reference shown to the user, a closed-set code, private detail. */
  ssoTraces: defineTable({
    ref: v.string(),
    protocol: v.union(v.literal("saml"), v.literal("oidc"), v.literal("oauth")),
    connectionId: v.optional(v.id("connections")),
    groupId: v.optional(v.id("groups")),
    code: v.string(),
    detail: v.string(),
    at: v.number(),
  }).index("by_ref", ["ref"]),
};
