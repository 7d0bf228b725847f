// Complete-sign-in: the seam SAML, OIDC (and the local dev sign-in) call once they have a verified identity.
// One transaction: consume the pending request, find or create user + identity + membership, create the
// session and a single-use code, and hand back the redirect to the app.
import { ConvexError, v } from "convex/values";
import { internalMutation, type MutationCtx } from "./lib/functions";
import type { Doc, Id } from "./_generated/dataModel";
import { rolesFromRules } from "../session/roles";
import { randomToken, sha256b64url } from "./lib/crypto";
import { gatewayOptions, siteUrl } from "./lib/env";
import { findScimLinkedUser, membersByEmail } from "./scim/link";
import { isTrustedEmail, linkingPolicy } from "../session/linking";
import { verifiedDomainsOf } from "./lib/lookups";
import { recordEvent } from "./events/record";
import { completePortalTest } from "./portal/testSignIn";
import { afterUserCreatedOrUpdated } from "./callbacks";

export const profileValidator = v.object({
  subject: v.string(),
  email: v.optional(v.string()),
  emailVerified: v.optional(v.boolean()),
  name: v.optional(v.string()),
  groups: v.optional(v.array(v.string())),
  attributes: v.optional(v.any()),
});

export type SignInProfile = {
  subject: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
  attributes?: unknown;
};

export type SignInErrorCode =
  | "request_not_found"
  | "request_expired"
  | "request_used"
  | "connection_mismatch"
  | "connection_disabled"
  | "membership_inactive"
  | "invalid_profile"
  | "account_link_refused"
  | "group_disabled";

export function signInError(code: SignInErrorCode, message: string): ConvexError<{ kind: "SignInError"; code: SignInErrorCode; message: string }> {
  return new ConvexError({ kind: "SignInError" as const, code, message });
}

export interface CompleteSignInArgs {
  authRequestId: Id<"authRequests">;
  /** Absent only for the local gateway's dev sign-in. */
  connectionId?: Id<"connections">;
  authMethod: "saml" | "oidc" | "dev";
  profile: SignInProfile;
  /** Explicit roles (dev sign-in); otherwise roles come from the connection's rules. */
  roles?: string[];
  /** The IdP's groups are authoritative even when empty (read from Graph, or an overage resolved to none):
   *  roles are recomputed, never kept from an earlier login. */
  groupsAsserted?: boolean;
}

export async function completeSignIn(
  ctx: MutationCtx,
  args: CompleteSignInArgs,
): Promise<{ redirectTo: string; userId?: Id<"users">; sessionId?: Id<"sessions"> }> {
  const now = Date.now();
  const options = gatewayOptions();
  const request = await ctx.db.get(args.authRequestId);
  if (!request) throw signInError("request_not_found", "the sign-in request does not exist");
  if (request.usedAt !== undefined) throw signInError("request_used", "the sign-in request was already used");
  if (request.expiresAt <= now) throw signInError("request_expired", "the sign-in request has expired");

  let connection: Doc<"connections"> | null = null;
  if (args.connectionId) {
    connection = await ctx.db.get(args.connectionId);
    if (!connection || connection.groupId !== request.groupId) {
      throw signInError("connection_mismatch", "the connection does not belong to the request's group");
    }
    if (request.connectionId && request.connectionId !== connection._id) {
      throw signInError("connection_mismatch", "the request was started for another connection");
    }
    // A connection set up in the portal stays "pending" until activated: only its test sign-in passes.
    const usable = connection.status === "active" || (connection.status === "pending" && request.portalTestId !== undefined);
    if (!usable) throw signInError("connection_disabled", "the connection is disabled");
  } else if (args.authMethod !== "dev") {
    throw signInError("connection_mismatch", "a connection is required");
  }
  const subject = args.profile.subject.trim();
  if (!subject) throw signInError("invalid_profile", "the identity has no subject");
  // A portal test sign-in ends here: the result is recorded, no user or session is created.
  if (request.portalTestId && connection) return completePortalTest(ctx, request, connection, { ...args.profile, subject });
  const appId = request.appId;
  if (!appId) throw signInError("request_not_found", "the sign-in request names no application");

  const group = (await ctx.db.get(request.groupId))!;
  if (group.disabledAt !== undefined) throw signInError("group_disabled", "the organisation's sign-in is disabled");
  const email = args.profile.email?.trim() || undefined;
  const emailLower = email?.toLowerCase();
  const provider = connection ? `connection:${connection._id}` : `dev:${group._id}`;
  // The JWT's email_verified, and the only kind of address that may link (README "Security model").
  const emailVerified = isTrustedEmail(email, args.profile.emailVerified, await verifiedDomainsOf(ctx, group._id));
  const policy = linkingPolicy(group.policy);
  const linkEmail = policy.byEmail === "verified_domain" && emailVerified ? emailLower : undefined;

  // 1. The identity link (connection, subject). 2. The person the group's SCIM directory provisioned (by
  // externalId / userName = subject, or by a trusted email). 3. A member of this group by a trusted email.
  // 4. A new user — unless the address is a member's and may not link: then refuse, or a separate user, by policy.
  let userId: Id<"users"> | undefined;
  const identity = await ctx.db
    .query("identities")
    .withIndex("by_provider_and_subject", (q) => q.eq("provider", provider).eq("subject", subject))
    .unique();
  if (identity) userId = identity.userId;
  if (!userId) userId = (await findScimLinkedUser(ctx, group._id, { subject, trustedEmail: linkEmail })) ?? undefined;
  if (!userId && emailLower) {
    const members = await membersByEmail(ctx, group._id, emailLower);
    if (linkEmail) userId = members.linkTarget;
    else if (members.any && policy.onConflict === "refuse") {
      throw signInError(
        "account_link_refused",
        `${email} is a member's address, but this login may not link to it (${emailVerified ? "linking by email is off" : "the address is not verified by the IdP in a verified domain of the group"})`,
      );
    }
  }
  const existingUser = userId !== undefined;
  let userChanged = !existingUser;
  if (!userId) {
    userId = await ctx.db.insert("users", { email, emailLower, emailVerified, name: args.profile.name, createdAt: now });
    await logEvent(ctx, "user.created", group._id, { userId, provider });
  }

  if (identity) {
    await ctx.db.patch(identity._id, { lastLoginAt: now, email });
  } else {
    await ctx.db.insert("identities", {
      userId,
      groupId: group._id,
      connectionId: connection?._id,
      provider,
      subject,
      email,
      lastLoginAt: now,
    });
  }

  // The person as this group's IdP describes them, kept on the membership: another group's logins never touch it.
  const profile = {
    ...(email ? { email, emailLower, emailVerified } : {}),
    ...(args.profile.name ? { name: args.profile.name } : {}),
  };
  const ruleRoles =
    args.roles && args.roles.length
      ? args.roles
      : rolesFromRules(connection?.roleRules, args.profile.groups, group.policy.defaultRole);
  const rulesMatched =
    Boolean(args.roles?.length) || Boolean(connection?.roleRules?.length && (args.profile.groups?.length || args.groupsAsserted));
  const membership = await membershipOf(ctx, group._id, userId);
  if (membership) {
    if (membership.status !== "active") {
      throw signInError("membership_inactive", "this person's membership in the group is deactivated");
    }
    // A fresh assertion of the IdP's groups is the truth for roles; without one, keep what is there. Written
    // only when something changes (updatedAt is when the roles last changed).
    const sameRoles = membership.role === ruleRoles[0] && membership.roles.length === ruleRoles.length &&
      membership.roles.every((r, i) => r === ruleRoles[i]);
    const patch: Partial<Doc<"memberships">> = {};
    if (rulesMatched && !sameRoles) Object.assign(patch, { role: ruleRoles[0]!, roles: ruleRoles, updatedAt: now });
    for (const [k, v] of Object.entries(profile)) if (membership[k as keyof typeof profile] !== v) Object.assign(patch, { [k]: v });
    if (Object.keys(patch).length) {
      await ctx.db.patch(membership._id, patch);
      userChanged = true;
    }
  } else {
    userChanged = true;
    await ctx.db.insert("memberships", {
      groupId: group._id,
      userId,
      role: ruleRoles[0]!,
      roles: ruleRoles,
      source: args.authMethod === "dev" ? "dev" : "jit",
      status: "active",
      updatedAt: now,
      ...profile,
    });
    await logEvent(ctx, "membership.created", group._id, { userId, roles: ruleRoles, source: "jit" });
  }

  if (userChanged) await afterUserCreatedOrUpdated(ctx, { userId, existingUser, groupId: group._id, source: args.authMethod });

  const sessionId = await ctx.db.insert("sessions", {
    userId,
    groupId: group._id,
    appId,
    connectionId: connection?._id,
    authMethod: args.authMethod,
    createdAt: now,
    expiresAt: now + options.session.totalDurationMs,
    lastUsedAt: now,
  });
  const code = randomToken(32);
  await ctx.db.insert("authCodes", {
    hash: await sha256b64url(code),
    sessionId,
    appId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    expiresAt: now + options.authCode.ttlMs,
  });
  await ctx.db.patch(request._id, { usedAt: now });
  await logEvent(ctx, "session.created", group._id, { userId, sessionId, authMethod: args.authMethod, connectionId: connection?._id });

  const redirect = new URL(request.redirectUri);
  redirect.searchParams.set("code", code);
  if (request.state !== undefined) redirect.searchParams.set("state", request.state);
  redirect.searchParams.set("iss", siteUrl()); // RFC 9207
  return { redirectTo: redirect.toString(), userId, sessionId };
}

export const complete = internalMutation({
  args: {
    authRequestId: v.id("authRequests"),
    connectionId: v.id("connections"),
    authMethod: v.union(v.literal("saml"), v.literal("oidc")),
    profile: profileValidator,
  },
  returns: v.object({ redirectTo: v.string() }),
  handler: async (ctx, args) => {
    const { redirectTo } = await completeSignIn(ctx, args);
    return { redirectTo };
  },
});

export async function membershipOf(ctx: MutationCtx, groupId: Id<"groups">, userId: Id<"users">) {
  return ctx.db
    .query("memberships")
    .withIndex("by_group_and_user", (q) => q.eq("groupId", groupId).eq("userId", userId))
    .unique();
}

/** Record an event (docs/events.md): validated against the catalogue, cursor assigned, deliveries queued. */
export async function logEvent(ctx: MutationCtx, type: string, groupId: Id<"groups"> | undefined, data: unknown) {
  await recordEvent(ctx, type, groupId, data);
}
