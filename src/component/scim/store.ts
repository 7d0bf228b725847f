// SCIM persistence: one helper per storage step, used by the operations in ./api.ts inside ONE mutation.
// Lookups go through indexes; totals come from counters on the directory; deep pages use seq buckets.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../lib/functions";
import { ScimError } from "../../scim/errors";
import type { IndexLookup } from "../../scim/filter";
import type { ResourceData } from "../../scim/resource";
import type { ResourceKind } from "../../scim/schemas";

/** seqs per level-0 bucket; a level-1 bucket spans SEQ_BUCKET level-0 buckets. */
export const SEQ_BUCKET = 64;
export type Dir = Doc<"scimDirectories">;
export type ScimUser = Doc<"scimUsers">;
export type ScimGroup = Doc<"scimGroups">;
export type AnyResource = ScimUser | ScimGroup;

const table = (kind: ResourceKind) => (kind === "User" ? "scimUsers" : "scimGroups");

export { sha256b64url } from "../lib/crypto";

/** Bearer token → directory. Every failure is the same 401 (RFC 7644 §3.12, RFC 6750 §3.1). */
/** The directory a valid token opens, and that token's id (the request log names it). */
/** The directory and the live (not revoked, not expired) token of it that `tokenHash` names, or null. Reads only. */
export async function findLiveToken(ctx: QueryCtx, slug: string, tokenHash: string, now: number) {
  const dir = await ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", slug)).unique();
  if (!dir) return null;
  const tok = await ctx.db.query("scimTokens").withIndex("by_hash", (q) => q.eq("hash", tokenHash)).unique();
  if (!tok || tok.directoryId !== dir._id || tok.revokedAt !== undefined) return null;
  if (tok.expiresAt !== undefined && tok.expiresAt <= now) return null;
  return { dir, tok };
}

export async function authenticate(ctx: MutationCtx, slug: string, tokenHash: string, now: number): Promise<{ dir: Dir; tokenId: Id<"scimTokens"> }> {
  const found = await findLiveToken(ctx, slug, tokenHash, now);
  if (!found) throw new ScimError(401, undefined, "missing, invalid, expired or revoked bearer token for this directory");
  const { dir, tok } = found;
  // Throttled: a GET should not write on every call (and contend on the token row).
  if (tok.lastUsedAt === undefined || now - tok.lastUsedAt > 60_000) await ctx.db.patch(tok._id, { lastUsedAt: now });
  return { dir, tokenId: tok._id };
}

export async function getResource(ctx: MutationCtx, dir: Dir, kind: "User", id: string): Promise<ScimUser>;
export async function getResource(ctx: MutationCtx, dir: Dir, kind: "Group", id: string): Promise<ScimGroup>;
export async function getResource(ctx: MutationCtx, dir: Dir, kind: ResourceKind, id: string): Promise<AnyResource>;
export async function getResource(ctx: MutationCtx, dir: Dir, kind: ResourceKind, id: string): Promise<AnyResource> {
  const doc = await findById(ctx, dir, kind, id);
  if (!doc) throw new ScimError(404, undefined, `${kind} "${id.slice(0, 64)}" not found`);
  return doc;
}

export async function findById(ctx: MutationCtx, dir: Dir, kind: ResourceKind, id: string): Promise<AnyResource | null> {
  const nid = ctx.db.normalizeId(table(kind), id);
  if (!nid) return null;
  const doc = (await ctx.db.get(nid)) as AnyResource | null;
  return doc && doc.directoryId === dir._id ? doc : null;
}

export const dataOf = (doc: AnyResource): ResourceData => JSON.parse(doc.json) as ResourceData;

/** Index lookups for a planned filter; the caller evaluates the full filter on the candidates. */
export async function lookup(ctx: MutationCtx, dir: Dir, kind: ResourceKind, l: IndexLookup): Promise<AnyResource[]> {
  const d = dir._id;
  const CAP = 1000;
  if (l.index === "id") {
    const doc = await findById(ctx, dir, kind, l.value);
    return doc ? [doc] : [];
  }
  if (kind === "User") {
    switch (l.index) {
      case "userName":
        return ctx.db.query("scimUsers").withIndex("by_directoryId_and_userNameLower", (q) => q.eq("directoryId", d).eq("userNameLower", l.value.toLowerCase())).take(CAP);
      case "externalId":
        return ctx.db.query("scimUsers").withIndex("by_directoryId_and_externalId", (q) => q.eq("directoryId", d).eq("externalId", l.value)).take(CAP);
      case "displayName":
        return ctx.db.query("scimUsers").withIndex("by_directoryId_and_displayNameLower", (q) => q.eq("directoryId", d).eq("displayNameLower", l.value.toLowerCase())).take(CAP);
      case "emails.value": {
        const rows = await ctx.db.query("scimUserEmails").withIndex("by_directoryId_and_valueLower", (q) => q.eq("directoryId", d).eq("valueLower", l.value.toLowerCase())).take(CAP);
        const out: ScimUser[] = [];
        for (const r of rows) {
          const u = await ctx.db.get(r.scimUserId);
          if (u) out.push(u);
        }
        return out;
      }
    }
  }
  switch (l.index) {
    case "displayName":
      return ctx.db.query("scimGroups").withIndex("by_directoryId_and_displayNameLower", (q) => q.eq("directoryId", d).eq("displayNameLower", l.value.toLowerCase())).take(CAP);
    case "externalId":
      return ctx.db.query("scimGroups").withIndex("by_directoryId_and_externalId", (q) => q.eq("directoryId", d).eq("externalId", l.value)).take(CAP);
    default:
      return [];
  }
}

/** All resources in seq order, only when the directory is small enough to scan (caller checks the count). */
export async function scanAll(ctx: MutationCtx, dir: Dir, kind: ResourceKind, limit: number): Promise<AnyResource[]> {
  return kind === "User"
    ? ctx.db.query("scimUsers").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", dir._id)).take(limit)
    : ctx.db.query("scimGroups").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", dir._id)).take(limit);
}

/**
 * One page in default (seq) order. Find the block holding position `startIndex` by summing level-1 counters
 * (one per SEQ_BUCKET² seqs), then the level-0 counters inside that block (≤ SEQ_BUCKET), then skip
 * < SEQ_BUCKET rows. Reads ≈ n / SEQ_BUCKET² + SEQ_BUCKET + SEQ_BUCKET + count, whatever the depth.
 */
export async function pageBySeq(ctx: MutationCtx, dir: Dir, kind: ResourceKind, startIndex: number, count: number): Promise<AnyResource[]> {
  if (count <= 0) return [];
  let skip = startIndex - 1;
  let fromSeq = 0;
  if (skip > 0) {
    const L1 = SEQ_BUCKET * SEQ_BUCKET;
    let block: number | undefined;
    const level1 = ctx.db
      .query("scimSeqBuckets")
      .withIndex("by_directoryId_and_kind_and_level_and_bucket", (q) => q.eq("directoryId", dir._id).eq("kind", kind).eq("level", 1));
    for await (const b of level1) {
      if (b.live <= skip) {
        skip -= b.live;
        continue;
      }
      block = b.bucket;
      break;
    }
    if (block === undefined) return [];
    const first = block * SEQ_BUCKET;
    fromSeq = block * L1;
    const level0 = ctx.db
      .query("scimSeqBuckets")
      .withIndex("by_directoryId_and_kind_and_level_and_bucket", (q) =>
        q.eq("directoryId", dir._id).eq("kind", kind).eq("level", 0).gte("bucket", first).lt("bucket", first + SEQ_BUCKET),
      );
    for await (const b of level0) {
      if (b.live <= skip) {
        skip -= b.live;
        fromSeq = (b.bucket + 1) * SEQ_BUCKET;
        continue;
      }
      fromSeq = b.bucket * SEQ_BUCKET;
      break;
    }
  }
  const rows =
    kind === "User"
      ? await ctx.db.query("scimUsers").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", dir._id).gte("seq", fromSeq)).take(skip + count)
      : await ctx.db.query("scimGroups").withIndex("by_directoryId_and_seq", (q) => q.eq("directoryId", dir._id).gte("seq", fromSeq)).take(skip + count);
  return rows.slice(skip);
}

/** Add `delta` live resources at `seq` to both counter levels. */
export async function bumpBuckets(ctx: MutationCtx, directoryId: Id<"scimDirectories">, kind: ResourceKind, seq: number, delta: number) {
  for (const level of [0, 1]) {
    const bucket = Math.floor(seq / (level === 0 ? SEQ_BUCKET : SEQ_BUCKET * SEQ_BUCKET));
    const b = await ctx.db
      .query("scimSeqBuckets")
      .withIndex("by_directoryId_and_kind_and_level_and_bucket", (q) => q.eq("directoryId", directoryId).eq("kind", kind).eq("level", level).eq("bucket", bucket))
      .unique();
    if (b) {
      if (b.live + delta <= 0) await ctx.db.delete(b._id);
      else await ctx.db.patch(b._id, { live: b.live + delta });
    } else if (delta > 0) await ctx.db.insert("scimSeqBuckets", { directoryId, kind, level, bucket, live: delta });
  }
}

const bumpBucket = (ctx: MutationCtx, dir: Dir, kind: ResourceKind, seq: number, delta: number) => bumpBuckets(ctx, dir._id, kind, seq, delta);

// ---------------- users ----------------

function userFields(data: ResourceData) {
  const userName = data.userName as string;
  return {
    userNameLower: userName.toLowerCase(),
    externalId: typeof data.externalId === "string" ? data.externalId : undefined,
    displayNameLower: typeof data.displayName === "string" ? data.displayName.toLowerCase() : undefined,
    active: data.active !== false,
  };
}

function emailValues(data: ResourceData): string[] {
  const emails = Array.isArray(data.emails) ? (data.emails as Array<Record<string, unknown>>) : [];
  const out = new Set<string>();
  for (const e of emails) if (typeof e.value === "string") out.add(e.value.toLowerCase());
  return [...out];
}

async function assertUserNameFree(ctx: MutationCtx, dir: Dir, userNameLower: string, self?: Id<"scimUsers">) {
  const other = await ctx.db.query("scimUsers").withIndex("by_directoryId_and_userNameLower", (q) => q.eq("directoryId", dir._id).eq("userNameLower", userNameLower)).first();
  if (other && other._id !== self) throw new ScimError(409, "uniqueness", `userName is already in use in this directory`);
}

async function syncEmails(ctx: MutationCtx, dir: Dir, id: Id<"scimUsers">, data: ResourceData) {
  const want = emailValues(data);
  const rows = await ctx.db.query("scimUserEmails").withIndex("by_scimUserId", (q) => q.eq("scimUserId", id)).take(500);
  for (const r of rows) if (!want.includes(r.valueLower)) await ctx.db.delete(r._id);
  for (const v of want) if (!rows.some((r) => r.valueLower === v)) await ctx.db.insert("scimUserEmails", { directoryId: dir._id, scimUserId: id, valueLower: v });
}

export async function insertUser(ctx: MutationCtx, dir: Dir, data: ResourceData, now: number): Promise<ScimUser> {
  const f = userFields(data);
  await assertUserNameFree(ctx, dir, f.userNameLower);
  dir = (await ctx.db.get(dir._id))!;
  const seq = dir.nextUserSeq;
  const id = await ctx.db.insert("scimUsers", { directoryId: dir._id, seq, json: JSON.stringify(data), ...f, version: 1, created: now, lastModified: now });
  await ctx.db.patch(dir._id, { nextUserSeq: seq + 1, userCount: dir.userCount + 1 });
  await bumpBucket(ctx, dir, "User", seq, 1);
  await syncEmails(ctx, dir, id, data);
  return (await ctx.db.get(id))!;
}

export async function updateUser(ctx: MutationCtx, dir: Dir, doc: ScimUser, data: ResourceData, now: number): Promise<ScimUser> {
  const f = userFields(data);
  if (f.userNameLower !== doc.userNameLower) await assertUserNameFree(ctx, dir, f.userNameLower, doc._id);
  await ctx.db.patch(doc._id, { json: JSON.stringify(data), ...f, version: doc.version + 1, lastModified: now });
  await syncEmails(ctx, dir, doc._id, data);
  return (await ctx.db.get(doc._id))!;
}

export async function deleteUser(ctx: MutationCtx, dir: Dir, doc: ScimUser): Promise<Id<"scimGroups">[]> {
  const rows = await ctx.db.query("scimGroupMembers").withIndex("by_userId_and_groupId", (q) => q.eq("userId", doc._id)).take(5000);
  for (const r of rows) {
    await ctx.db.delete(r._id);
    const g = await ctx.db.get(r.groupId);
    if (g) await ctx.db.patch(g._id, { memberCount: Math.max(0, g.memberCount - 1) });
  }
  const emails = await ctx.db.query("scimUserEmails").withIndex("by_scimUserId", (q) => q.eq("scimUserId", doc._id)).take(500);
  for (const e of emails) await ctx.db.delete(e._id);
  await ctx.db.delete(doc._id);
  const fresh = (await ctx.db.get(dir._id))!;
  await ctx.db.patch(dir._id, { userCount: Math.max(0, fresh.userCount - 1) });
  await bumpBucket(ctx, dir, "User", doc.seq, -1);
  return rows.map((r) => r.groupId);
}

/**
 * Groups a user belongs to (the computed, read-only `groups` attribute). `cache` is shared across one
 * request's page so each group document is read once.
 */
export async function groupsOfUser(ctx: MutationCtx, id: Id<"scimUsers">, cache: Map<string, string | null> = new Map(), limit = 200) {
  const rows = await ctx.db.query("scimGroupMembers").withIndex("by_userId_and_groupId", (q) => q.eq("userId", id)).take(limit);
  const out: Array<{ id: string; display: string }> = [];
  for (const r of rows) {
    if (!cache.has(r.groupId)) {
      const g = await ctx.db.get(r.groupId);
      cache.set(r.groupId, g ? (JSON.parse(g.json) as { displayName: string }).displayName : null);
    }
    const display = cache.get(r.groupId);
    if (display != null) out.push({ id: r.groupId, display });
  }
  return out;
}

// ---------------- groups ----------------

async function assertDisplayNameFree(ctx: MutationCtx, dir: Dir, lower: string, self?: Id<"scimGroups">) {
  const other = await ctx.db.query("scimGroups").withIndex("by_directoryId_and_displayNameLower", (q) => q.eq("directoryId", dir._id).eq("displayNameLower", lower)).first();
  if (other && other._id !== self) throw new ScimError(409, "uniqueness", `a Group with this displayName already exists in this directory`);
}

function groupFields(data: ResourceData) {
  return {
    displayNameLower: (data.displayName as string).toLowerCase(),
    externalId: typeof data.externalId === "string" ? data.externalId : undefined,
  };
}

export async function insertGroup(ctx: MutationCtx, dir: Dir, data: ResourceData, now: number): Promise<ScimGroup> {
  const f = groupFields(data);
  await assertDisplayNameFree(ctx, dir, f.displayNameLower);
  dir = (await ctx.db.get(dir._id))!;
  const seq = dir.nextGroupSeq;
  const id = await ctx.db.insert("scimGroups", { directoryId: dir._id, seq, json: JSON.stringify(data), ...f, memberCount: 0, version: 1, created: now, lastModified: now });
  await ctx.db.patch(dir._id, { nextGroupSeq: seq + 1, groupCount: dir.groupCount + 1 });
  await bumpBucket(ctx, dir, "Group", seq, 1);
  return (await ctx.db.get(id))!;
}

export async function updateGroup(ctx: MutationCtx, dir: Dir, doc: ScimGroup, data: ResourceData, now: number): Promise<ScimGroup> {
  const f = groupFields(data);
  if (f.displayNameLower !== doc.displayNameLower) await assertDisplayNameFree(ctx, dir, f.displayNameLower, doc._id);
  await ctx.db.patch(doc._id, { json: JSON.stringify(data), ...f, version: doc.version + 1, lastModified: now });
  return (await ctx.db.get(doc._id))!;
}

/**
 * Member values changed per request, and members a PUT/DELETE may replace, within Convex's per-transaction
 * limits (4,096 index ranges — each db.get is one —, 32k documents read, 16k written).
 */
export const MAX_MEMBER_CHANGES = 3_000;
export const MAX_MEMBERS_REPLACED = 10_000;
export const MAX_MEMBER_CHANGES_BIG_GROUP = 1_500;

/** Member ids of a group (bounded). */
export async function memberRows(ctx: MutationCtx, groupId: Id<"scimGroups">, limit: number) {
  return ctx.db.query("scimGroupMembers").withIndex("by_groupId_and_userId", (q) => q.eq("groupId", groupId)).take(limit);
}

/**
 * Apply member operations in order. Values must be Users of this directory (400 invalidValue otherwise).
 * Returns the SCIM users whose membership changed (their roles are recomputed by the caller).
 */
export async function applyMemberOps(
  ctx: MutationCtx,
  dir: Dir,
  group: ScimGroup,
  ops: Array<{ kind: "add" | "remove" | "replace"; values: string[] }>,
): Promise<Set<Id<"scimUsers">>> {
  const touched = new Set<Id<"scimUsers">>();
  const total = ops.reduce((n, op) => n + op.values.length, 0);
  // Convex allows 4,096 index ranges per transaction: for groups up to MAX_MEMBERS_REPLACED, read the member
  // rows once (one range) instead of one lookup per value; for bigger groups, look up per value (fewer changes).
  const preload = group.memberCount <= MAX_MEMBERS_REPLACED;
  const cap = preload ? MAX_MEMBER_CHANGES : MAX_MEMBER_CHANGES_BIG_GROUP;
  if (total > cap) throw new ScimError(400, "tooMany", `more than ${cap} member changes in one request`);
  const existing = new Map<string, Id<"scimGroupMembers">>();
  if (preload) for (const r of await memberRows(ctx, group._id, MAX_MEMBERS_REPLACED + 1)) existing.set(r.userId, r._id);
  let count = group.memberCount;
  const resolve = async (value: string) => {
    const u = await findById(ctx, dir, "User", value);
    if (!u) throw new ScimError(400, "invalidValue", `member "${value.slice(0, 64)}" is not a User of this directory`);
    return u._id as Id<"scimUsers">;
  };
  const rowOf = async (uid: Id<"scimUsers">): Promise<Id<"scimGroupMembers"> | undefined> => {
    if (preload) return existing.get(uid);
    const row = await ctx.db.query("scimGroupMembers").withIndex("by_groupId_and_userId", (q) => q.eq("groupId", group._id).eq("userId", uid)).first();
    return row?._id;
  };
  const add = async (uid: Id<"scimUsers">) => {
    if (await rowOf(uid)) return;
    const id = await ctx.db.insert("scimGroupMembers", { directoryId: dir._id, groupId: group._id, userId: uid });
    if (preload) existing.set(uid, id);
    count++;
    touched.add(uid);
  };
  const remove = async (uid: Id<"scimUsers">) => {
    const row = await rowOf(uid);
    if (!row) return;
    await ctx.db.delete(row);
    if (preload) existing.delete(uid);
    count--;
    touched.add(uid);
  };
  for (const op of ops) {
    if (op.kind === "replace") {
      if (!preload) throw new ScimError(400, "tooMany", `group has too many members to replace in one request`);
      const keep = new Set<Id<"scimUsers">>();
      for (const v of op.values) keep.add(await resolve(v));
      for (const uid of [...existing.keys()] as Id<"scimUsers">[]) if (!keep.has(uid)) await remove(uid);
      for (const uid of keep) await add(uid);
      continue;
    }
    for (const v of op.values) {
      if (op.kind === "add") await add(await resolve(v));
      else {
        // Removing a member that is not there (or not a user here) is not an error: the end state holds.
        const uid = ctx.db.normalizeId("scimUsers", v);
        if (uid) await remove(uid);
      }
    }
  }
  if (count !== group.memberCount) await ctx.db.patch(group._id, { memberCount: count });
  return touched;
}

/**
 * Delete a group. Its member rows go in the same transaction when there are at most MEMBER_DELETE_INLINE;
 * otherwise the group disappears now (no longer listed, counted, or shown in users' `groups`) and the caller
 * schedules the remaining rows' deletion in batches (`rest: true`).
 */
export const MEMBER_DELETE_INLINE = 5_000;
export async function deleteGroup(ctx: MutationCtx, dir: Dir, doc: ScimGroup): Promise<{ userIds: Id<"scimUsers">[]; rest: boolean }> {
  const rows = await memberRows(ctx, doc._id, MEMBER_DELETE_INLINE + 1);
  const rest = rows.length > MEMBER_DELETE_INLINE;
  const now = rest ? rows.slice(0, MEMBER_DELETE_INLINE) : rows;
  for (const r of now) await ctx.db.delete(r._id);
  await ctx.db.delete(doc._id);
  const fresh = (await ctx.db.get(dir._id))!;
  await ctx.db.patch(dir._id, { groupCount: Math.max(0, fresh.groupCount - 1) });
  await bumpBucket(ctx, dir, "Group", doc.seq, -1);
  return { userIds: now.map((r) => r.userId), rest };
}

/** One batch of member rows of a deleted group; returns their users and whether more remain. */
export async function deleteMemberBatch(ctx: MutationCtx, groupId: Id<"scimGroups">, batch: number) {
  const rows = await memberRows(ctx, groupId, batch + 1);
  const now = rows.slice(0, batch);
  for (const r of now) await ctx.db.delete(r._id);
  return { userIds: now.map((r) => r.userId), more: rows.length > batch };
}
