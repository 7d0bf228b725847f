// SCIM users → gateway users + memberships (issue 6, bullet 11). Plain functions run inside the SCIM
// operation's mutation, so provisioning and its identity side effects commit together or not at all.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../lib/functions";
import { rolesForGroups } from "../../scim/roles";
import { afterUserCreatedOrUpdated } from "../callbacks";
import type { ResourceData } from "../../scim/resource";
import { revokeUserSessions } from "../oauth/grants";
import { verifiedDomainsOf } from "../lib/lookups";
import { emailDomain, linkingPolicy } from "../../session/linking";
import { forgetUnreferencedUser } from "./forgetUser";
import { logEvent } from "../signin";

type MatchBy = "externalId" | "userName" | "email";
const DEFAULT_MATCH: MatchBy[] = ["externalId", "userName", "email"];

/** Primary (else work, else first) email of a SCIM user, lower-cased. */
export function primaryEmail(data: ResourceData): string | undefined {
  const emails = Array.isArray(data.emails) ? (data.emails as Array<Record<string, unknown>>) : [];
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === "work") ?? emails[0];
  return typeof pick?.value === "string" ? pick.value : undefined;
}

function displayNameOf(data: ResourceData): string | undefined {
  if (typeof data.displayName === "string") return data.displayName;
  const n = data.name as Record<string, unknown> | undefined;
  if (n && typeof n.formatted === "string") return n.formatted;
  const parts = [n?.givenName, n?.familyName].filter((x): x is string => typeof x === "string");
  return parts.length ? parts.join(" ") : undefined;
}

/**
 * Members of this group known by this address: the one a login or a push may link to, and whether any exists
 * (a conflict when linking is not allowed). A link target is an IdP-verified member (preferred) or one the
 * group's directory or admin made — never a JIT account made from an unverified address, which anyone's IdP
 * could have planted. The caller has already checked that the address may link (verified domain).
 */
export async function membersByEmail(ctx: QueryCtx, groupId: Id<"groups">, emailLower: string): Promise<{ linkTarget?: Id<"users">; any: boolean }> {
  const rows = await ctx.db
    .query("memberships")
    .withIndex("by_group_and_emailLower", (q) => q.eq("groupId", groupId).eq("emailLower", emailLower))
    .take(20);
  const target = rows.find((m) => m.emailVerified === true) ?? rows.find((m) => m.source !== "jit");
  return { ...(target ? { linkTarget: target.userId } : {}), any: rows.length > 0 };
}

/** Identity subjects of the group's SSO connections that equal `subject`. */
async function userByIdentitySubject(ctx: QueryCtx, groupId: Id<"groups">, subject: string): Promise<Id<"users"> | undefined> {
  const connections = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(20);
  for (const c of connections) {
    const idn = await ctx.db
      .query("identities")
      .withIndex("by_provider_and_subject", (q) => q.eq("provider", `connection:${c._id}`).eq("subject", subject))
      .first();
    if (idn) return idn.userId;
  }
  return undefined;
}

/**
 * Find the gateway user a SCIM user should be linked to, per the group's policy.matchUsersBy (first match wins).
 * Anything shaped like an address (email, or a userName that is one) links only under the linking policy:
 * its domain is one of the group's verified domains, and the member it matches may be linked to. A directory
 * could push any address; the domain owner's verification is what makes it evidence.
 */
async function matchUser(ctx: MutationCtx, group: Doc<"groups">, self: Id<"scimUsers">, data: ResourceData): Promise<Id<"users"> | undefined> {
  const order = group.policy.matchUsersBy ?? DEFAULT_MATCH;
  const dirs = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", group._id)).take(10);
  const byEmail = linkingPolicy(group.policy).byEmail === "verified_domain";
  const domains = await verifiedDomainsOf(ctx, group._id);
  /** The address may serve as a link key: linking by email is on and its domain is verified for the group. */
  const linkable = (address: string) => byEmail && domains.has(emailDomain(address) ?? "");
  for (const by of order) {
    if (by === "externalId" && typeof data.externalId === "string") {
      const ext = data.externalId;
      for (const d of dirs) {
        const other = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_externalId", (q) => q.eq("directoryId", d._id).eq("externalId", ext)).take(5);
        const hit = other.find((u) => u._id !== self && u.userId);
        if (hit?.userId) return hit.userId;
      }
      const u = await userByIdentitySubject(ctx, group._id, ext);
      if (u) return u;
    }
    if (by === "userName" && typeof data.userName === "string") {
      const lower = data.userName.toLowerCase();
      const emailShaped = emailDomain(lower) !== undefined;
      if (!emailShaped || linkable(lower)) {
        const u = await userByIdentitySubject(ctx, group._id, data.userName);
        if (u) return u;
      }
      if (emailShaped && linkable(lower)) {
        const u = (await membersByEmail(ctx, group._id, lower)).linkTarget;
        if (u) return u;
      }
    }
    if (by === "email") {
      const email = primaryEmail(data)?.toLowerCase();
      if (email && linkable(email)) {
        const u = (await membersByEmail(ctx, group._id, email)).linkTarget;
        if (u) return u;
      }
    }
  }
  return undefined;
}

/** Roles of a linked user from the SCIM groups it belongs to in this directory. */
async function rolesOf(ctx: MutationCtx, dir: Doc<"scimDirectories">, group: Doc<"groups">, scimUserId: Id<"scimUsers">) {
  const rows = await ctx.db.query("scimGroupMembers").withIndex("by_userId_and_groupId", (q) => q.eq("userId", scimUserId)).take(500);
  const groups = [];
  for (const r of rows) {
    const g = await ctx.db.get(r.groupId);
    if (g) groups.push({ displayName: (JSON.parse(g.json) as { displayName: string }).displayName, ...(g.externalId ? { externalId: g.externalId } : {}) });
  }
  return rolesForGroups(dir.roleRules, groups, group.policy.defaultRole);
}

/**
 * Bring the gateway side in line with a SCIM user after create/update: link (or create) the user, keep the
 * membership's status and roles, and on deactivation revoke the user's sessions in the group.
 */
export async function syncLinkedUser(
  ctx: MutationCtx,
  dir: Doc<"scimDirectories">,
  scimUser: Doc<"scimUsers">,
  data: ResourceData,
  now: number,
): Promise<void> {
  const group = await ctx.db.get(dir.groupId);
  if (!group) return;
  let userId = scimUser.userId;
  const email = primaryEmail(data) ?? (typeof data.userName === "string" && data.userName.includes("@") ? data.userName : undefined);
  const name = displayNameOf(data);
  let existingUser = true;
  let changed = false;
  if (!userId || !(await ctx.db.get(userId))) {
    userId = await matchUser(ctx, group, scimUser._id, data);
    changed = true;
    if (!userId) {
      existingUser = false;
      userId = await ctx.db.insert("users", {
        ...(email ? { email, emailLower: email.toLowerCase() } : {}),
        emailVerified: false,
        ...(name ? { name } : {}),
        createdAt: now,
      });
      await logEvent(ctx, "user.created", group._id, { userId, provider: "scim", directoryId: dir._id });
    }
    await ctx.db.patch(scimUser._id, { userId });
  } else {
    // SCIM is the source of truth for a person who belongs to this group only: keep email/name current.
    const memberships = await ctx.db.query("memberships").withIndex("by_user", (q) => q.eq("userId", userId!)).take(2);
    const user = await ctx.db.get(userId);
    if (user && memberships.every((m) => m.groupId === group._id)) {
      const patch: Partial<Doc<"users">> = {};
      if (email && email !== user.email) Object.assign(patch, { email, emailLower: email.toLowerCase() });
      if (name && name !== user.name) patch.name = name;
      if (Object.keys(patch).length) {
        await ctx.db.patch(userId, patch);
        changed = true;
        const fields = (["email", "name"] as const).filter((f) => f in patch);
        await logEvent(ctx, "user.updated", group._id, { userId, fields: [...fields], directoryId: dir._id });
      }
    }
  }
  if (await syncMembership(ctx, dir, group, scimUser._id, userId, scimUser.active, now, { email, name })) changed = true;
  if (changed) await afterUserCreatedOrUpdated(ctx, { userId, existingUser, groupId: group._id, source: "scim" });
}

/** The membership's own view of the person (this group's sources only). SCIM does not verify addresses. */
function scimProfilePatch(membership: Doc<"memberships"> | null, p: { email?: string; name?: string }): Partial<Doc<"memberships">> {
  const patch: Partial<Doc<"memberships">> = {};
  if (p.email && p.email !== membership?.email) Object.assign(patch, { email: p.email, emailLower: p.email.toLowerCase(), emailVerified: false });
  if (p.name && p.name !== membership?.name) patch.name = p.name;
  return patch;
}

async function syncMembership(
  ctx: MutationCtx,
  dir: Doc<"scimDirectories">,
  group: Doc<"groups">,
  scimUserId: Id<"scimUsers">,
  userId: Id<"users">,
  active: boolean,
  now: number,
  profile: { email?: string; name?: string },
): Promise<boolean> {
  const membership = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", userId)).first();
  const roles = await rolesOf(ctx, dir, group, scimUserId);
  const role = roles[0] ?? group.policy.defaultRole;
  const profilePatch = scimProfilePatch(membership, profile);
  if (active) {
    if (!membership) {
      await ctx.db.insert("memberships", { groupId: group._id, userId, role, roles, source: "scim", status: "active", updatedAt: now, ...profilePatch });
      await logEvent(ctx, "membership.created", group._id, { userId, roles, source: "scim" });
    } else if (membership.status !== "active" || membership.role !== role || JSON.stringify(membership.roles) !== JSON.stringify(roles) || membership.source !== "scim") {
      await ctx.db.patch(membership._id, { status: "active", role, roles, source: "scim", updatedAt: now, ...profilePatch });
      await logEvent(ctx, "membership.updated", group._id, { userId, roles, status: "active", source: "scim" });
    } else if (Object.keys(profilePatch).length) {
      await ctx.db.patch(membership._id, profilePatch);
    } else {
      return false;
    }
    return true;
  }
  if (membership && Object.keys(profilePatch).length) await ctx.db.patch(membership._id, profilePatch);
  await deprovision(ctx, group, userId, now, membership ?? null, { role, roles, ...profilePatch });
  return !membership || membership.status !== "inactive" || Object.keys(profilePatch).length > 0;
}

async function deprovision(
  ctx: MutationCtx,
  group: Doc<"groups">,
  userId: Id<"users">,
  now: number,
  membership: Doc<"memberships"> | null,
  roles: { role: string; roles: string[] } & Partial<Doc<"memberships">>,
) {
  const policy = group.policy.onDeprovision ?? "deactivate";
  // One user.deactivated per transition (a repeated PATCH active=false raises nothing new).
  if (!membership || membership.status === "active") {
    await logEvent(ctx, "user.deactivated", group._id, { userId, reason: "scim_deprovisioned", membershipRemoved: policy === "remove" });
  }
  if (policy === "remove") {
    if (membership) await ctx.db.delete(membership._id);
  } else if (!membership) {
    await ctx.db.insert("memberships", { groupId: group._id, userId, ...roles, source: "scim", status: "inactive", updatedAt: now });
  } else if (membership.status !== "inactive") {
    await ctx.db.patch(membership._id, { status: "inactive", updatedAt: now });
  }
  // The shared revocation (oauth/grants): every live session in the group, refresh tokens deleted, audited.
  await revokeUserSessions(ctx, group._id, userId, "scim_deprovisioned");
}

/**
 * DELETE of a SCIM user: the gateway user goes too when nothing else refers to it (scim/forgetUser.ts);
 * otherwise deprovision per policy (it may belong elsewhere).
 */
export async function unlinkDeletedUser(ctx: MutationCtx, dir: Doc<"scimDirectories">, scimUser: Doc<"scimUsers">, now: number) {
  if (!scimUser.userId) return;
  const group = await ctx.db.get(dir.groupId);
  if (!group) return;
  const userId = scimUser.userId;
  if (await forgetUnreferencedUser(ctx, userId, group._id, scimUser._id)) return;
  const membership = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", userId)).first();
  await deprovision(ctx, group, userId, now, membership, { role: group.policy.defaultRole, roles: [group.policy.defaultRole] });
  await logEvent(ctx, "user.deleted", group._id, { userId, directoryId: dir._id, scimUserId: scimUser._id });
}

/** Recompute roles of linked users after SCIM group membership or group naming changed. */
export async function recomputeRoles(ctx: MutationCtx, dir: Doc<"scimDirectories">, scimUserIds: Iterable<Id<"scimUsers">>, now: number) {
  // Without rules every member has the default role, set when the membership was written: nothing to do.
  if (!dir.roleRules?.length) return;
  const group = await ctx.db.get(dir.groupId);
  if (!group) return;
  for (const id of scimUserIds) {
    const su = await ctx.db.get(id);
    if (!su?.userId || !su.active) continue;
    const userId = su.userId;
    const membership = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", userId)).first();
    if (!membership || membership.status !== "active") continue;
    const roles = await rolesOf(ctx, dir, group, id);
    const role = roles[0] ?? group.policy.defaultRole;
    if (membership.role !== role || JSON.stringify(membership.roles) !== JSON.stringify(roles))
      await ctx.db.patch(membership._id, { role, roles, updatedAt: now });
  }
}

/**
 * For SSO sign-in (completeSignIn): the gateway user a SCIM directory of this group already provisioned for an
 * IdP subject / email, so a later login lands on the same user. Matches externalId = subject, then userName
 * (= subject when the subject is not an address; = the trusted email otherwise), then email, per the group's
 * policy. `trustedEmail` is the login's address only when it may link (the IdP verified it and its domain is
 * one of the group's verified domains, and linking by email is on): an address-shaped key never links otherwise.
 */
export async function findScimLinkedUser(
  ctx: QueryCtx,
  groupId: Id<"groups">,
  who: { subject: string; trustedEmail?: string | undefined },
): Promise<Id<"users"> | null> {
  const group = await ctx.db.get(groupId);
  if (!group) return null;
  const order = group.policy.matchUsersBy ?? DEFAULT_MATCH;
  const dirs = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", groupId)).take(10);
  const subjectLower = who.subject.toLowerCase();
  const userNameKeys = [...new Set([emailDomain(subjectLower) ? undefined : subjectLower, who.trustedEmail?.toLowerCase()])].filter(
    (k): k is string => k !== undefined,
  );
  for (const by of order) {
    for (const d of dirs) {
      let hit: Doc<"scimUsers"> | null = null;
      if (by === "externalId")
        hit = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_externalId", (q) => q.eq("directoryId", d._id).eq("externalId", who.subject)).first();
      else if (by === "userName") {
        for (const key of userNameKeys) {
          hit ??= await ctx.db.query("scimUsers").withIndex("by_directoryId_and_userNameLower", (q) => q.eq("directoryId", d._id).eq("userNameLower", key)).first();
        }
      } else if (by === "email" && who.trustedEmail) {
        const e = who.trustedEmail.toLowerCase();
        const row = await ctx.db.query("scimUserEmails").withIndex("by_directoryId_and_valueLower", (q) => q.eq("directoryId", d._id).eq("valueLower", e)).first();
        hit = row ? await ctx.db.get(row.scimUserId) : null;
      }
      if (hit?.userId) return hit.userId;
    }
  }
  return null;
}
