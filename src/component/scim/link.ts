// SCIM users → gateway users + memberships (issue 6, bullet 11). Plain functions run inside the SCIM
// operation's mutation, so provisioning and its identity side effects commit together or not at all.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../lib/functions";
import { rolesForGroups } from "../../scim/roles";
import { afterUserCreatedOrUpdated } from "../callbacks";
import type { ResourceData } from "../../scim/resource";
import { revokeUserSessions } from "../oauth/grants";

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

async function hasMembership(ctx: QueryCtx, groupId: Id<"groups">, userId: Id<"users">) {
  return (await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", groupId).eq("userId", userId)).first()) !== null;
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
 * Email matching only considers users who already belong to this group: an unverified address pushed by one
 * tenant's directory must not capture an account of another tenant.
 */
async function matchUser(ctx: MutationCtx, group: Doc<"groups">, self: Id<"scimUsers">, data: ResourceData): Promise<Id<"users"> | undefined> {
  const order = group.policy.matchUsersBy ?? DEFAULT_MATCH;
  const dirs = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", group._id)).take(10);
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
      const u = await userByIdentitySubject(ctx, group._id, data.userName);
      if (u) return u;
      const lower = data.userName.toLowerCase();
      if (lower.includes("@")) {
        const users = await ctx.db.query("users").withIndex("by_emailLower", (q) => q.eq("emailLower", lower)).take(10);
        for (const x of users) if (await hasMembership(ctx, group._id, x._id)) return x._id;
      }
    }
    if (by === "email") {
      const email = primaryEmail(data)?.toLowerCase();
      if (email) {
        const users = await ctx.db.query("users").withIndex("by_emailLower", (q) => q.eq("emailLower", email)).take(10);
        for (const x of users) if (await hasMembership(ctx, group._id, x._id)) return x._id;
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
      }
    }
  }
  if (await syncMembership(ctx, dir, group, scimUser._id, userId, scimUser.active, now)) changed = true;
  if (changed) await afterUserCreatedOrUpdated(ctx, { userId, existingUser, groupId: group._id, source: "scim" });
}

async function syncMembership(
  ctx: MutationCtx,
  dir: Doc<"scimDirectories">,
  group: Doc<"groups">,
  scimUserId: Id<"scimUsers">,
  userId: Id<"users">,
  active: boolean,
  now: number,
): Promise<boolean> {
  const membership = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", userId)).first();
  const roles = await rolesOf(ctx, dir, group, scimUserId);
  const role = roles[0] ?? group.policy.defaultRole;
  if (active) {
    if (!membership) {
      await ctx.db.insert("memberships", { groupId: group._id, userId, role, roles, source: "scim", status: "active", updatedAt: now });
    } else if (membership.status !== "active" || membership.role !== role || JSON.stringify(membership.roles) !== JSON.stringify(roles) || membership.source !== "scim") {
      await ctx.db.patch(membership._id, { status: "active", role, roles, source: "scim", updatedAt: now });
    } else {
      return false;
    }
    return true;
  }
  await deprovision(ctx, group, userId, now, membership ?? null, { role, roles });
  return !membership || membership.status !== "inactive";
}

async function deprovision(
  ctx: MutationCtx,
  group: Doc<"groups">,
  userId: Id<"users">,
  now: number,
  membership: Doc<"memberships"> | null,
  roles: { role: string; roles: string[] },
) {
  const policy = group.policy.onDeprovision ?? "deactivate";
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

/** DELETE of a SCIM user: deprovision per policy (the gateway user itself is kept: it may belong elsewhere). */
export async function unlinkDeletedUser(ctx: MutationCtx, dir: Doc<"scimDirectories">, scimUser: Doc<"scimUsers">, now: number) {
  if (!scimUser.userId) return;
  const group = await ctx.db.get(dir.groupId);
  if (!group) return;
  const userId = scimUser.userId;
  const membership = await ctx.db.query("memberships").withIndex("by_group_and_user", (q) => q.eq("groupId", group._id).eq("userId", userId)).first();
  await deprovision(ctx, group, userId, now, membership, { role: group.policy.defaultRole, roles: [group.policy.defaultRole] });
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
 * For SSO sign-in (lead's completeSignIn): the gateway user a SCIM directory of this group already provisioned
 * for an IdP subject / email, so a later login lands on the same user. Matches externalId, then userName,
 * then email, per the group's policy.
 */
export async function findScimLinkedUser(
  ctx: QueryCtx,
  groupId: Id<"groups">,
  who: { subject: string; email?: string },
): Promise<Id<"users"> | null> {
  const group = await ctx.db.get(groupId);
  if (!group) return null;
  const order = group.policy.matchUsersBy ?? DEFAULT_MATCH;
  const dirs = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", groupId)).take(10);
  for (const by of order) {
    for (const d of dirs) {
      let hit: Doc<"scimUsers"> | null = null;
      if (by === "externalId")
        hit = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_externalId", (q) => q.eq("directoryId", d._id).eq("externalId", who.subject)).first();
      else if (by === "userName")
        hit = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_userNameLower", (q) => q.eq("directoryId", d._id).eq("userNameLower", who.subject.toLowerCase())).first();
      else if (by === "email" && who.email) {
        const e = who.email.toLowerCase();
        const row = await ctx.db.query("scimUserEmails").withIndex("by_directoryId_and_valueLower", (q) => q.eq("directoryId", d._id).eq("valueLower", e)).first();
        hit = row ? await ctx.db.get(row.scimUserId) : null;
      }
      if (hit?.userId) return hit.userId;
    }
  }
  return null;
}
