// SCIM 2.0 operations (RFC 7644). The HTTP action (./http.ts) hashes the bearer token and forwards the
// request here; ONE internal mutation authenticates, parses, validates, writes and renders, so an operation
// commits whole or not at all. Protocol failures are thrown as ConvexError({ kind: "ScimError", … }) —
// throwing (not returning) is what rolls back any write made before the failure.
import { ConvexError, v, type Infer } from "convex/values";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import { internalMutation, type MutationCtx } from "../lib/functions";
import { siteUrl } from "../lib/env";
import { ScimError, badSyntax, badValue, renderError } from "../../scim/errors";
import { evaluate, parseFilter, planFilter, touches, type FilterNode } from "../../scim/filter";
import { applyPatch } from "../../scim/patch";
import {
  compareKeys,
  etagMatches,
  etagOf,
  isObject,
  normalizeResource,
  parseAttrList,
  project,
  renderResource,
  sortKey,
  type AttrList,
} from "../../scim/resource";
import {
  BULK_REQUEST_SCHEMA,
  BULK_RESPONSE_SCHEMA,
  GROUP_TYPE,
  LIMITS,
  LIST_SCHEMA,
  SCHEMAS,
  USER_TYPE,
  renderResourceType,
  renderSchema,
  renderServiceProviderConfig,
  resolvePath,
  resourceType,
  type ResourceKind,
} from "../../scim/schemas";
import { recomputeRoles, syncLinkedUser, unlinkDeletedUser } from "./link";
import { logScimRequest } from "./requestLog";
import {
  applyMemberOps,
  authenticate,
  dataOf,
  deleteGroup,
  deleteMemberBatch,
  deleteUser,
  getResource,
  groupsOfUser,
  insertGroup,
  insertUser,
  lookup,
  memberRows,
  pageBySeq,
  scanAll,
  updateGroup,
  updateUser,
  type AnyResource,
  type Dir,
  type ScimGroup,
  type ScimUser,
} from "./store";

/** Filters that no index can answer are evaluated by scanning only up to this many resources. */
export const SCAN_LIMIT = 2000;
/** Group members rendered per request at most (Entra and Okta ask with excludedAttributes=members). */
export const MAX_MEMBERS_RENDERED = 10_000;

export const resultValidator = v.object({
  status: v.number(),
  body: v.optional(v.string()),
  etag: v.optional(v.string()),
  location: v.optional(v.string()),
  /** Documents read by the transaction (engine metric), for the planner tests and the bench. */
  reads: v.optional(v.number()),
});
export type ScimResult = Infer<typeof resultValidator>;

interface Req {
  method: string;
  segments: string[];
  params: URLSearchParams;
  body?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

export function siteBase(slug: string): string {
  return `${siteUrl()}/scim/v2/${encodeURIComponent(slug)}`;
}

const json = (status: number, body: unknown, extra: Partial<ScimResult> = {}): ScimResult => ({ status, body: JSON.stringify(body), ...extra });

function param(params: URLSearchParams, name: string): string | null {
  const l = name.toLowerCase();
  for (const [k, val] of params) if (k.toLowerCase() === l) return val;
  return null;
}

function parseJsonBody(text: string | undefined): unknown {
  if (text === undefined || text.trim() === "") throw badSyntax("request body is required");
  try {
    return JSON.parse(text);
  } catch {
    throw badSyntax("request body is not valid JSON");
  }
}

function toConvexError(e: unknown): unknown {
  if (e instanceof ScimError) return new ConvexError({ kind: "ScimError", status: e.status, scimType: e.scimType ?? null, detail: e.detail });
  return e;
}

async function reads(ctx: MutationCtx): Promise<number | undefined> {
  try {
    return (await ctx.meta.getTransactionMetrics()).documentsRead.used;
  } catch {
    return undefined;
  }
}

// ---------------- rendering ----------------

interface RenderOpts {
  include?: AttrList;
  exclude?: AttrList;
  budget: { members: number; groups?: Map<string, string | null> };
}

function wants(attr: string, o: Pick<RenderOpts, "include" | "exclude">): boolean {
  if (o.exclude?.some((p) => p.keys[0] === attr)) return false;
  if (o.include && o.include.length) return o.include.some((p) => p.keys[0] === attr);
  return true;
}

async function computedOf(ctx: MutationCtx, dir: Dir, doc: AnyResource, kind: ResourceKind, base: string, need: { groups?: boolean; members?: boolean }, budget: RenderOpts["budget"]) {
  const computed: Record<string, unknown> = {};
  // A directory without groups has no memberships: skip one index range per user on every page.
  if (kind === "User" && need.groups && dir.groupCount > 0) {
    budget.groups ??= new Map();
    const groups = await groupsOfUser(ctx, doc._id as Id<"scimUsers">, budget.groups);
    if (groups.length) computed.groups = groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.display, type: "direct" }));
  }
  if (kind === "Group" && need.members) {
    const g = doc as ScimGroup;
    if (g.memberCount > budget.members)
      throw new ScimError(400, "tooMany", `group has ${g.memberCount} members, more than this request may return: use excludedAttributes=members`);
    const rows = await memberRows(ctx, g._id, budget.members);
    budget.members -= rows.length;
    if (rows.length) computed.members = rows.map((r) => ({ value: r.userId, $ref: `${base}/Users/${r.userId}`, type: "User" }));
  }
  return computed;
}

async function renderDoc(ctx: MutationCtx, dir: Dir, kind: ResourceKind, doc: AnyResource, o: RenderOpts) {
  const base = siteBase(dir.slug);
  const computed = await computedOf(ctx, dir, doc, kind, base, { groups: wants("groups", o), members: wants("members", o) }, o.budget);
  const full = renderResource(resourceType(kind), { id: doc._id, data: dataOf(doc), created: doc.created, lastModified: doc.lastModified, version: doc.version }, base, computed);
  return project(full, o.include, o.exclude);
}

function renderOpts(kind: ResourceKind, params: URLSearchParams): RenderOpts {
  const rt = resourceType(kind);
  const include = parseAttrList(rt, param(params, "attributes"));
  const exclude = parseAttrList(rt, param(params, "excludedAttributes"));
  return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}), budget: { members: MAX_MEMBERS_RENDERED } };
}

async function single(ctx: MutationCtx, dir: Dir, kind: ResourceKind, doc: AnyResource, status: number, params: URLSearchParams): Promise<ScimResult> {
  const body = await renderDoc(ctx, dir, kind, doc, renderOpts(kind, params));
  return json(status, body, { etag: etagOf(doc.version), ...(status === 201 ? { location: `${siteBase(dir.slug)}/${kind}s/${doc._id}` } : {}) });
}

// ---------------- lists (RFC 7644 §3.4.2) ----------------

interface ListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder: "ascending" | "descending";
  include?: AttrList;
  exclude?: AttrList;
}

function intParam(raw: unknown, name: string): number | undefined {
  if (raw === null || raw === undefined || raw === "") return undefined;
  const n = typeof raw === "number" ? raw : /^\s*-?\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw badValue(`"${name}" must be an integer`);
  return n;
}

function listQuery(kind: ResourceKind, get: (name: string) => unknown): ListQuery {
  const rt = resourceType(kind);
  const filter = get("filter");
  if (filter !== null && filter !== undefined && typeof filter !== "string") throw new ScimError(400, "invalidFilter", `"filter" must be a string`);
  const startIndex = Math.max(1, intParam(get("startIndex"), "startIndex") ?? 1);
  const count = Math.min(LIMITS.maxResults, Math.max(0, intParam(get("count"), "count") ?? LIMITS.maxResults));
  const sortBy = get("sortBy");
  const order = get("sortOrder");
  if (order !== null && order !== undefined && (typeof order !== "string" || !/^(ascending|descending)$/i.test(order)))
    throw badValue(`"sortOrder" must be "ascending" or "descending"`);
  const list = (n: string) => {
    const raw = get(n);
    return Array.isArray(raw) ? raw.join(",") : typeof raw === "string" ? raw : null;
  };
  const include = parseAttrList(rt, list("attributes"));
  const exclude = parseAttrList(rt, list("excludedAttributes"));
  return {
    // An empty `filter=` (some clients always send the parameter) means no filter.
    ...(typeof filter === "string" && filter.trim() !== "" ? { filter } : {}),
    startIndex,
    count,
    ...(typeof sortBy === "string" && sortBy !== "" ? { sortBy } : {}),
    sortOrder: typeof order === "string" && order.toLowerCase() === "descending" ? "descending" : "ascending",
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
  };
}

async function list(ctx: MutationCtx, dir: Dir, kind: ResourceKind, q: ListQuery): Promise<ScimResult> {
  const rt = resourceType(kind);
  const filter: FilterNode | undefined = q.filter !== undefined ? parseFilter(q.filter, rt) : undefined;
  const sort = q.sortBy !== undefined ? resolvePath(rt, q.sortBy) : undefined;
  if (q.sortBy !== undefined && (!sort || sort.extensionContainer)) throw badValue(`"sortBy" names no attribute of ${kind}`);
  const total = kind === "User" ? dir.userCount : dir.groupCount;
  const opts: RenderOpts = { ...(q.include ? { include: q.include } : {}), ...(q.exclude ? { exclude: q.exclude } : {}), budget: { members: MAX_MEMBERS_RENDERED } };
  const base = siteBase(dir.slug);

  let pageDocs: AnyResource[];
  let totalResults: number;
  if (!filter && !sort) {
    totalResults = total;
    pageDocs = await pageBySeq(ctx, dir, kind, q.startIndex, q.count);
  } else {
    let candidates: AnyResource[];
    const plan = filter ? planFilter(filter, kind) : { kind: "scan" as const };
    if (plan.kind === "lookup") {
      const seen = new Map<string, AnyResource>();
      for (const l of plan.lookups) for (const d of await lookup(ctx, dir, kind, l)) seen.set(d._id, d);
      candidates = [...seen.values()].sort((a, b) => a.seq - b.seq);
    } else {
      if (total > SCAN_LIMIT)
        throw new ScimError(400, "tooMany",
          `${filter ? "this filter" : "sortBy"} needs an index at ${total} ${kind}s: filter with ${kind === "User" ? "userName, externalId, emails.value, displayName or id" : "displayName, externalId or id"} eq`);
      candidates = await scanAll(ctx, dir, kind, SCAN_LIMIT + 1);
    }
    const needGroups = kind === "User" && filter !== undefined && touches(filter, "groups");
    const needMembers = kind === "Group" && filter !== undefined && touches(filter, "members");
    const matched: Array<{ doc: AnyResource; key: string | number | undefined }> = [];
    const evalBudget: RenderOpts["budget"] = { members: MAX_MEMBERS_RENDERED, groups: new Map() };
    for (const doc of candidates) {
      const computed = needGroups || needMembers ? await computedOf(ctx, dir, doc, kind, base, { groups: needGroups, members: needMembers }, evalBudget) : {};
      const full = renderResource(rt, { id: doc._id, data: dataOf(doc), created: doc.created, lastModified: doc.lastModified, version: doc.version }, base, computed);
      if (filter && !evaluate(filter, full)) continue;
      matched.push({ doc, key: sort ? sortKey(full, sort.keys, sort.def) : undefined });
    }
    if (sort) {
      matched.sort((a, b) => compareKeys(a.key, b.key) || a.doc.seq - b.doc.seq);
      if (q.sortOrder === "descending") matched.reverse();
    }
    totalResults = matched.length;
    pageDocs = matched.slice(q.startIndex - 1, q.startIndex - 1 + q.count).map((m) => m.doc);
  }
  const Resources = [];
  const withMembers = kind === "Group" && wants("members", opts);
  for (const d of pageDocs) {
    // A page may hold fewer items than `count` (RFC 7644 §3.4.2.4: itemsPerPage is what was returned): stop
    // before a group whose members would overrun this request's budget; the client asks for the next page.
    if (withMembers && Resources.length > 0 && (d as ScimGroup).memberCount > opts.budget.members) break;
    Resources.push(await renderDoc(ctx, dir, kind, d, opts));
  }
  return json(200, { schemas: [LIST_SCHEMA], totalResults, itemsPerPage: Resources.length, startIndex: q.startIndex, Resources });
}

// ---------------- resource operations ----------------

function checkIfMatch(req: Req, version: number) {
  if (req.ifMatch !== undefined && !etagMatches(req.ifMatch, version))
    throw new ScimError(412, undefined, `If-Match does not match the current version ${etagOf(version)}`);
}

function checkIdUnchanged(body: unknown, id: string) {
  if (isObject(body) && typeof body.id === "string" && body.id !== id) throw new ScimError(400, "mutability", `"id" cannot be changed`);
}

async function membersOf(ctx: MutationCtx, groupId: Id<"scimGroups">): Promise<Id<"scimUsers">[]> {
  return (await memberRows(ctx, groupId, 10_000)).map((r) => r.userId);
}

/** Role recomputation inline for a few users; in scheduled batches for many (bounded reads per transaction). */
export const INLINE_ROLE_RECOMPUTE = 200;
async function rolesFor(ctx: MutationCtx, dir: Dir, ids: Iterable<Id<"scimUsers">>, now: number) {
  if (!dir.roleRules?.length) return;
  const all = [...ids];
  await recomputeRoles(ctx, dir, all.slice(0, INLINE_ROLE_RECOMPUTE), now);
  if (all.length > INLINE_ROLE_RECOMPUTE)
    await ctx.scheduler.runAfter(0, internal.scim.api.recomputeRolesJob, { directoryId: dir._id, userIds: all.slice(INLINE_ROLE_RECOMPUTE) });
}

/** Background deletion of a deleted big group's member rows, in batches, recomputing those users' roles. */
export const deleteMembersJob = internalMutation({
  args: { directoryId: v.id("scimDirectories"), groupId: v.id("scimGroups") },
  returns: v.null(),
  handler: async (ctx, a) => {
    const dir = await ctx.db.get(a.directoryId);
    if (!dir) return null;
    const { userIds, more } = await deleteMemberBatch(ctx, a.groupId, 4_000);
    await rolesFor(ctx, dir, userIds, Date.now());
    if (more) await ctx.scheduler.runAfter(0, internal.scim.api.deleteMembersJob, a);
    return null;
  },
});

export const recomputeRolesJob = internalMutation({
  args: { directoryId: v.id("scimDirectories"), userIds: v.array(v.id("scimUsers")) },
  returns: v.null(),
  handler: async (ctx, a) => {
    const dir = await ctx.db.get(a.directoryId);
    if (dir) await rolesFor(ctx, dir, a.userIds, Date.now());
    return null;
  },
});

async function resource(ctx: MutationCtx, dir: Dir, kind: ResourceKind, req: Req, now: number): Promise<ScimResult> {
  const rt = resourceType(kind);
  const [, id, extra] = req.segments;
  const m = req.method;
  if (extra !== undefined) throw new ScimError(404, undefined, "no such endpoint");

  if (id === undefined) {
    if (m === "GET") return list(ctx, dir, kind, listQuery(kind, (n) => param(req.params, n)));
    if (m !== "POST") throw new ScimError(405, undefined, `${m} is not supported on /${kind}s`);
    const body = parseJsonBody(req.body);
    const input = normalizeResource(rt, body);
    if (kind === "User") {
      const doc = await insertUser(ctx, dir, input.data, now);
      await syncLinkedUser(ctx, dir, doc, input.data, now);
      return single(ctx, dir, kind, doc, 201, req.params);
    }
    const doc = await insertGroup(ctx, dir, input.data, now);
    if (input.members?.length) {
      const touched = await applyMemberOps(ctx, dir, doc, [{ kind: "replace", values: input.members.map((x) => x.value) }]);
      await rolesFor(ctx, dir, touched, now);
    }
    return single(ctx, dir, kind, (await ctx.db.get(doc._id))!, 201, req.params);
  }

  if (id === ".search") {
    if (m !== "POST") throw new ScimError(405, undefined, `${m} is not supported on /${kind}s/.search`);
    const body = parseJsonBody(req.body);
    if (!isObject(body)) throw badSyntax("search body must be a JSON object");
    return list(ctx, dir, kind, listQuery(kind, (n) => Object.entries(body).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1] ?? null));
  }

  const doc = await getResource(ctx, dir, kind, id);
  switch (m) {
    case "GET": {
      if (req.ifNoneMatch !== undefined && etagMatches(req.ifNoneMatch, doc.version)) return { status: 304, etag: etagOf(doc.version) };
      return single(ctx, dir, kind, doc, 200, req.params);
    }
    case "PUT": {
      checkIfMatch(req, doc.version);
      const body = parseJsonBody(req.body);
      checkIdUnchanged(body, doc._id);
      const input = normalizeResource(rt, body);
      if (kind === "User") {
        const next = await updateUser(ctx, dir, doc as ScimUser, input.data, now);
        await syncLinkedUser(ctx, dir, next, input.data, now);
        return single(ctx, dir, kind, next, 200, req.params);
      }
      const g = doc as ScimGroup;
      const next = await updateGroup(ctx, dir, g, input.data, now);
      // PUT replaces the whole resource (RFC 7644 §3.5.1): members absent from the body are removed.
      const touched = await applyMemberOps(ctx, dir, next, [{ kind: "replace", values: (input.members ?? []).map((x) => x.value) }]);
      await rolesAfterGroupChange(ctx, dir, g, next, touched, now);
      return single(ctx, dir, kind, (await ctx.db.get(g._id))!, 200, req.params);
    }
    case "PATCH": {
      checkIfMatch(req, doc.version);
      const body = parseJsonBody(req.body);
      const result = applyPatch(rt, dataOf(doc), body);
      if (kind === "User") {
        if (!result.changed) return single(ctx, dir, kind, doc, 200, req.params);
        const next = await updateUser(ctx, dir, doc as ScimUser, result.data, now);
        await syncLinkedUser(ctx, dir, next, result.data, now);
        return single(ctx, dir, kind, next, 200, req.params);
      }
      const g = doc as ScimGroup;
      if (!result.changed) return { status: 204, etag: etagOf(g.version) };
      const next = await updateGroup(ctx, dir, g, result.data, now);
      const touched = result.memberOps.length ? await applyMemberOps(ctx, dir, next, result.memberOps) : new Set<Id<"scimUsers">>();
      await rolesAfterGroupChange(ctx, dir, g, next, touched, now);
      const fresh = (await ctx.db.get(g._id))!;
      // RFC 7644 §3.5.2: 204 is allowed; return the resource when the client asked for attributes.
      if (param(req.params, "attributes") || param(req.params, "excludedAttributes")) return single(ctx, dir, kind, fresh, 200, req.params);
      return { status: 204, etag: etagOf(fresh.version) };
    }
    case "DELETE": {
      checkIfMatch(req, doc.version);
      if (kind === "User") {
        await deleteUser(ctx, dir, doc as ScimUser);
        await unlinkDeletedUser(ctx, dir, doc as ScimUser, now);
      } else {
        const { userIds, rest } = await deleteGroup(ctx, dir, doc as ScimGroup);
        await rolesFor(ctx, dir, userIds, now);
        if (rest) await ctx.scheduler.runAfter(0, internal.scim.api.deleteMembersJob, { directoryId: dir._id, groupId: doc._id as Id<"scimGroups"> });
      }
      return { status: 204 };
    }
    default:
      throw new ScimError(405, undefined, `${m} is not supported on /${kind}s/{id}`);
  }
}

/** Roles follow SCIM groups: recompute for changed members, and for all members if the group's name/externalId changed. */
async function rolesAfterGroupChange(ctx: MutationCtx, dir: Dir, before: ScimGroup, after: ScimGroup, touched: Set<Id<"scimUsers">>, now: number) {
  const renamed = before.displayNameLower !== after.displayNameLower || before.externalId !== after.externalId;
  const ids = new Set(touched);
  if (renamed && dir.roleRules?.length) for (const u of await membersOf(ctx, after._id)) ids.add(u);
  if (ids.size) await rolesFor(ctx, dir, ids, now);
}

// ---------------- discovery (RFC 7644 §4) ----------------

function discovery(dir: Dir, req: Req): ScimResult {
  const [what, id, extra] = req.segments;
  if (req.method !== "GET") throw new ScimError(405, undefined, `${req.method} is not supported on /${what}`);
  const base = siteBase(dir.slug);
  const lw = what!.toLowerCase();
  if (extra !== undefined) throw new ScimError(404, undefined, "no such endpoint");
  if (lw === "serviceproviderconfig") {
    if (id !== undefined) throw new ScimError(404, undefined, "no such endpoint");
    return json(200, renderServiceProviderConfig(base));
  }
  if (lw === "resourcetypes") {
    const all = [USER_TYPE, GROUP_TYPE].map((rt) => renderResourceType(rt, base));
    if (id === undefined) return json(200, { schemas: [LIST_SCHEMA], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all });
    const one = all.find((r) => String(r.id).toLowerCase() === id.toLowerCase());
    if (!one) throw new ScimError(404, undefined, `ResourceType "${id.slice(0, 64)}" not found`);
    return json(200, one);
  }
  const all = SCHEMAS.map((s) => renderSchema(s, base));
  if (id === undefined) return json(200, { schemas: [LIST_SCHEMA], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all });
  const one = all.find((s) => String(s.id).toLowerCase() === id.toLowerCase());
  if (!one) throw new ScimError(404, undefined, `Schema "${id.slice(0, 120)}" not found`);
  return json(200, one);
}

// ---------------- dispatch ----------------

async function execute(ctx: MutationCtx, dir: Dir, req: Req, now: number): Promise<ScimResult> {
  const first = req.segments[0]?.toLowerCase();
  if (first === "users") return resource(ctx, dir, "User", req, now);
  if (first === "groups") return resource(ctx, dir, "Group", req, now);
  if (first === "serviceproviderconfig" || first === "resourcetypes" || first === "schemas") return discovery(dir, req);
  if (first === "bulk" && req.segments.length === 1) {
    if (req.method !== "POST") throw new ScimError(405, undefined, `${req.method} is not supported on /Bulk`);
    return bulk(ctx, dir, req);
  }
  throw new ScimError(404, undefined, "no such SCIM endpoint");
}

const requestArgs = {
  method: v.string(),
  segments: v.array(v.string()),
  query: v.string(),
  body: v.optional(v.string()),
  ifMatch: v.optional(v.string()),
  ifNoneMatch: v.optional(v.string()),
};

/** One SCIM request: authenticate the token against the directory, then execute. */
export const handle = internalMutation({
  args: { directory: v.string(), tokenHash: v.string(), ...requestArgs, receivedAt: v.optional(v.number()) },
  returns: resultValidator,
  handler: async (ctx, a): Promise<ScimResult> => {
    try {
      const now = Date.now();
      const { dir, tokenId } = await authenticate(ctx, a.directory, a.tokenHash, now);
      const req: Req = {
        method: a.method.toUpperCase(),
        segments: a.segments,
        params: new URLSearchParams(a.query),
        ...(a.body !== undefined ? { body: a.body } : {}),
        ...(a.ifMatch !== undefined ? { ifMatch: a.ifMatch } : {}),
        ...(a.ifNoneMatch !== undefined ? { ifNoneMatch: a.ifNoneMatch } : {}),
      };
      const out = await execute(ctx, dir, req, now);
      // The log row commits with the operation (a failure throws and is recorded by the HTTP action instead).
      await logScimRequest(ctx, dir._id, now, {
        method: req.method,
        segments: a.segments,
        hasQuery: a.query.length > 1,
        status: out.status,
        tokenId,
        ...(a.receivedAt !== undefined ? { durationMs: Date.now() - a.receivedAt } : {}),
      });
      const r = await reads(ctx);
      return r === undefined ? out : { ...out, reads: r };
    } catch (e) {
      throw toConvexError(e);
    }
  },
});

// ---------------- bulk (RFC 7644 §3.7) ----------------

/** One bulk operation in its own sub-transaction: a failing operation leaves no trace, the others stay. */
export const bulkOp = internalMutation({
  args: { directoryId: v.id("scimDirectories"), ...requestArgs },
  returns: resultValidator,
  handler: async (ctx, a): Promise<ScimResult> => {
    try {
      const dir = await ctx.db.get(a.directoryId);
      if (!dir) throw new ScimError(404, undefined, "directory not found");
      const req: Req = {
        method: a.method,
        segments: a.segments,
        params: new URLSearchParams(a.query),
        ...(a.body !== undefined ? { body: a.body } : {}),
        ...(a.ifMatch !== undefined ? { ifMatch: a.ifMatch } : {}),
      };
      return await execute(ctx, dir, req, Date.now());
    } catch (e) {
      throw toConvexError(e);
    }
  },
});

function replaceBulkIds(value: unknown, ids: Map<string, string>, missing: Set<string>): unknown {
  if (typeof value === "string" && value.startsWith("bulkId:")) {
    const id = ids.get(value.slice(7));
    if (id === undefined) missing.add(value.slice(7));
    return id ?? value;
  }
  if (Array.isArray(value)) return value.map((x) => replaceBulkIds(x, ids, missing));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, replaceBulkIds(x, ids, missing)]));
  return value;
}

async function bulk(ctx: MutationCtx, dir: Dir, req: Req): Promise<ScimResult> {
  if ((req.body?.length ?? 0) > LIMITS.bulkMaxPayloadSize) throw new ScimError(413, undefined, `bulk request is larger than maxPayloadSize ${LIMITS.bulkMaxPayloadSize}`);
  const body = parseJsonBody(req.body);
  if (!isObject(body)) throw badSyntax("bulk body must be a JSON object");
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase()))
    throw badSyntax(`"schemas" must include "${BULK_REQUEST_SCHEMA}"`);
  const ops = Object.entries(body).find(([k]) => k.toLowerCase() === "operations")?.[1];
  if (!Array.isArray(ops)) throw badSyntax(`"Operations" must be an array`);
  if (ops.length > LIMITS.bulkMaxOperations) throw new ScimError(413, undefined, `more than maxOperations ${LIMITS.bulkMaxOperations} operations`);
  const failOnErrors = intParam(body.failOnErrors, "failOnErrors");
  // Validate every operation's shape before running any (a malformed request writes nothing).
  const parsed = ops.map((op, i) => {
    if (!isObject(op)) throw badSyntax(`Operations[${i}] must be an object`);
    const method = typeof op.method === "string" ? op.method.toUpperCase() : "";
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(method)) throw badSyntax(`Operations[${i}].method must be POST, PUT, PATCH or DELETE`);
    if (typeof op.path !== "string" || !op.path.startsWith("/")) throw badSyntax(`Operations[${i}].path must be a path such as "/Users"`);
    if (method === "POST" && (typeof op.bulkId !== "string" || op.bulkId === "")) throw badSyntax(`Operations[${i}].bulkId is required for POST`);
    if (op.version !== undefined && typeof op.version !== "string") throw badSyntax(`Operations[${i}].version must be a string`);
    return { method, path: op.path, bulkId: typeof op.bulkId === "string" ? op.bulkId : undefined, version: op.version as string | undefined, data: op.data };
  });
  const ids = new Map<string, string>();
  const results: Array<Record<string, unknown>> = [];
  let errors = 0;
  for (const op of parsed) {
    if (failOnErrors !== undefined && failOnErrors > 0 && errors >= failOnErrors) break;
    const missing = new Set<string>();
    const path = op.path.split("/").map((seg) => replaceBulkIds(seg, ids, missing) as string).join("/");
    const data = op.data === undefined ? undefined : replaceBulkIds(op.data, ids, missing);
    const entry: Record<string, unknown> = { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}) };
    const fail = (e: ScimError) => {
      errors++;
      results.push({ ...entry, status: String(e.status), response: renderError(e) });
    };
    const segs = path.split("?")[0]!.split("/").filter(Boolean);
    const first = segs[0]?.toLowerCase();
    if (missing.size) {
      fail(new ScimError(409, "invalidValue", `bulkId "${[...missing][0]!.slice(0, 64)}" is not (yet) defined`));
      continue;
    }
    if ((first !== "users" && first !== "groups") || segs.length > 2 || (op.method === "POST") !== (segs.length === 1)) {
      fail(new ScimError(400, "invalidPath", `Operations path "${path.slice(0, 100)}" is not a Users or Groups resource path`));
      continue;
    }
    try {
      const r = await ctx.runMutation(internal.scim.api.bulkOp, {
        directoryId: dir._id,
        method: op.method,
        segments: segs,
        query: "",
        ...(data !== undefined ? { body: JSON.stringify(data) } : {}),
        ...(op.version !== undefined ? { ifMatch: op.version } : {}),
      });
      let location = r.location;
      if (op.method === "POST" && r.body) {
        const created = JSON.parse(r.body) as { id: string };
        if (op.bulkId) ids.set(op.bulkId, created.id);
        location = location ?? `${siteBase(dir.slug)}/${segs[0]}/${created.id}`;
      } else if (op.method !== "DELETE") location = `${siteBase(dir.slug)}/${segs[0]}/${segs[1]}`;
      results.push({ ...entry, ...(location ? { location } : {}), ...(r.etag ? { version: r.etag } : {}), status: String(r.status) });
    } catch (e) {
      const d = e instanceof ConvexError ? (e.data as { kind?: string; status?: number; scimType?: string | null; detail?: string }) : undefined;
      if (d?.kind === "ScimError" && typeof d.status === "number")
        fail(new ScimError(d.status, (d.scimType ?? undefined) as ScimError["scimType"], d.detail ?? "error"));
      else throw e;
    }
  }
  return json(200, { schemas: [BULK_RESPONSE_SCHEMA], Operations: results });
}

