// OIDC relying-party tables: pending logins (state/nonce/PKCE, single use, TTL) and the issuer caches.
import { defineTable } from "convex/server";
import { v } from "convex/values";

/** What the start of a login writes to an oidcStates row (also the args of src/component/oidc/store.ts createState). */
export const oidcStateFields = {
  state: v.string(),
  connectionId: v.id("connections"),
  authRequestId: v.id("authRequests"),
  nonce: v.string(),
  codeVerifier: v.string(),
  redirectUri: v.string(),
  /** The issuer the authorization request went to (after the Entra tenant is resolved). */
  issuer: v.string(),
};

export const oidcTables = {
  /** One row per redirect to the OP. `state` is random (128 bits); consumed once by the callback. */
  oidcStates: defineTable({
    ...oidcStateFields,
    createdAt: v.number(),
    expiresAt: v.number(),
    usedAt: v.optional(v.number()),
  })
    .index("by_state", ["state"])
    .index("by_expiresAt", ["expiresAt"]),

  /** Discovery documents, per configured issuer URL. */
  oidcDiscovery: defineTable({
    issuer: v.string(),
    metadata: v.any(),
    fetchedAt: v.number(),
  }).index("by_issuer", ["issuer"]),

  /** JWKS documents, per jwks_uri. */
  oidcJwks: defineTable({
    jwksUri: v.string(),
    jwks: v.any(),
    fetchedAt: v.number(),
  }).index("by_jwksUri", ["jwksUri"]),
};
