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

/**
 * How a login that no (connection, subject) link knows is matched to an existing member of the group.
 * - byEmail "verified_domain" (default): by email only when the IdP verified the address AND its domain is one of
 *   the group's verified domains; "never": never by email.
 * - onConflict: what a login gets when its address is a member's but may not link: "refuse" (default; traced
 *   `account_link_refused`) or "new_user" (a separate user with the default role).
 */
export const linkingPolicyValidator = v.object({
  byEmail: v.optional(v.union(v.literal("verified_domain"), v.literal("never"))),
  onConflict: v.optional(v.union(v.literal("refuse"), v.literal("new_user"))),
});

export const groupPolicy = v.object({
  /** Role given to a member when no rule matches. */
  defaultRole: v.string(),
  /** How a SCIM-provisioned person is matched to an SSO login: first match wins. */
  matchUsersBy: v.optional(v.array(v.union(v.literal("externalId"), v.literal("userName"), v.literal("email")))),
  /** What SCIM deactivation / DELETE does to the membership. */
  onDeprovision: v.optional(v.union(v.literal("deactivate"), v.literal("remove"))),
  /** Account linking (README "Security model"). Absent = the secure default, see `linkingPolicy()`. */
  linking: v.optional(linkingPolicyValidator),
});

export const coreTables = {
  groups: defineTable({
    slug: v.string(),
    name: v.string(),
    policy: groupPolicy,
    createdAt: v.number(),
    /** Set while the group is disabled: no sign-in, no refresh, its sessions revoked (admin/groups:setStatus). */
    disabledAt: v.optional(v.number()),
  }).index("by_slug", ["slug"]),

  /** Email domains a group claims, for home-realm discovery. Admin-declared for now. */
  domains: defineTable({
    groupId: v.id("groups"),
    domain: v.string(), // lower-case, no leading "@"
    verified: v.boolean(),
    /** The value of the TXT record the portal asks the IT admin to publish (src/component/portal/domains.ts). */
    verificationToken: v.optional(v.string()),
    verifiedAt: v.optional(v.number()),
  })
    .index("by_domain", ["domain"])
    .index("by_group", ["groupId"]),

  apps: defineTable({
    clientId: v.string(),
    name: v.string(),
    redirectUris: v.array(v.string()), // exact match
    audience: v.string(), // the JWT "aud"; default: the app's own clientId (one audience per app)
    createdAt: v.number(),
  }).index("by_clientId", ["clientId"]),

  /** SSO connections of every kind; `config` is validated by the kind's own core when written. */
  connections: defineTable({
    groupId: v.id("groups"),
    kind: v.union(v.literal("saml"), v.literal("oidc")),
    name: v.string(),
    /** "pending": set up from the portal, usable only by a portal test sign-in until activated. */
    status: v.union(v.literal("active"), v.literal("disabled"), v.literal("pending")),
    config: v.any(),
    /** value → role rules applied to the IdP's groups / roles. */
    roleRules: v.optional(v.array(v.object({ value: v.string(), role: v.string() }))),
    /** SAML: the trusted IdP certificate (SHA-256 hex) that verified the latest sign-in, and since when it does.
     * Written only when it changes (saml/acs:finish), so sign-ins do not contend on this row. */
    idpSignedBy: v.optional(v.object({ sha256: v.string(), firstSeenAt: v.number() })),
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
    /** The person as THIS group's own sources (its IdPs, its SCIM directory, its admin) describe them: the
     *  token of this group carries these, so another tenant's IdP cannot rewrite them. */
    email: v.optional(v.string()),
    emailLower: v.optional(v.string()),
    /** The IdP verified `email` and its domain is one of the group's verified domains (the JWT's email_verified). */
    emailVerified: v.optional(v.boolean()),
    name: v.optional(v.string()),
  })
    .index("by_group_and_user", ["groupId", "userId"])
    .index("by_group_and_emailLower", ["groupId", "emailLower"])
    .index("by_user", ["userId"]),

  /** A pending sign-in started at /sso/authorize: what the app asked for, while the user is at the IdP. */
  authRequests: defineTable({
    /** Absent only for a portal test sign-in, which ends on the portal's result page, not in an app. */
    appId: v.optional(v.id("apps")),
    portalTestId: v.optional(v.id("portalTests")),
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
    .index("by_group_and_user", ["groupId", "userId"])
    .index("by_connectionId_and_revokedAt", ["connectionId", "revokedAt"])
    .index("by_groupId_and_revokedAt", ["groupId", "revokedAt"]),

  refreshTokens: defineTable({
    sessionId: v.id("sessions"),
    hash: v.string(), // base64url SHA-256 of the token
    createdAt: v.number(),
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
    /** Set when spent: the token that replaced it, and that token sealed (AES-256-GCM, GATEWAY_ENCRYPTION_KEY) so
     *  that the same successor can be handed out again inside the reuse grace window. Never stored in the clear. */
    successorId: v.optional(v.id("refreshTokens")),
    sealedSuccessor: v.optional(v.string()),
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
  /** The audit log and event stream (docs/events.md). `cursor` and `eventId` are absent only on rows written
   *  before the catalogue existed (old local data files); the pull API and webhooks never see those. */
  events: defineTable({
    type: v.string(),
    groupId: v.optional(v.id("groups")),
    data: v.any(),
    at: v.number(),
    eventId: v.optional(v.string()),
    cursor: v.optional(v.number()),
  })
    .index("by_group", ["groupId"])
    .index("by_cursor", ["cursor"])
    .index("by_group_and_cursor", ["groupId", "cursor"])
    .index("by_at", ["at"]),

  /**
   * Token buckets of convex-helpers' table-based rate limiter (src/component/limits.ts). Its code queries the index
   * named "name" on (name, key), so that name is kept; `by_ts` lets the hourly sweep drop idle (full) buckets.
   */
  rateLimits: defineTable({
    name: v.string(),
    key: v.optional(v.string()),
    value: v.number(),
    ts: v.number(),
  })
    .index("name", ["name", "key"])
    .index("by_ts", ["ts"]),

  /** Why a login failed: a reference shown to the user, a closed-set code, private detail. */
  ssoTraces: defineTable({
    ref: v.string(),
    protocol: v.union(v.literal("saml"), v.literal("oidc"), v.literal("oauth"), v.literal("webhook")),
    connectionId: v.optional(v.id("connections")),
    groupId: v.optional(v.id("groups")),
    code: v.string(),
    detail: v.string(),
    at: v.number(),
  })
    .index("by_ref", ["ref"])
    .index("by_at", ["at"])
    .index("by_connectionId_and_at", ["connectionId", "at"])
    .index("by_groupId_and_at", ["groupId", "at"]),

  /**
   * The component's own settings, one row per name. Today only "envHandle": the function handle of the app's env
   * query, which crons and scheduled jobs call for the env (lib/settings.ts). Never a secret.
   */
  gatewaySettings: defineTable({ name: v.literal("envHandle"), value: v.string() }).index("by_name", ["name"]),
};
