// SCIM directory administration: internal functions (the admin CLI / local gateway call them).
// Tokens are returned in plaintext ONCE, at minting; only their SHA-256 is stored.
import { ConvexError, v } from "convex/values";
import type { Id } from "../_generated/dataModel";
import { internalMutation, internalQuery, type MutationCtx } from "../lib/functions";
import { scimRoleRule } from "../tables/scim";
import { randomToken, sha256b64url } from "../lib/crypto";
import { siteBase } from "./api";
import { groupBySlug } from "../lib/lookups";

const SLUG = /^[A-Za-z0-9_-]{3,64}$/;


const adminError = (code: string, message: string) => new ConvexError({ kind: "ScimAdminError", code, message });

async function createDir(ctx: MutationCtx, groupId: Id<"groups">, name: string, slug?: string) {
  const s = slug ?? `dir_${randomToken(9).replace(/[-_]/g, "x")}`;
  if (!SLUG.test(s)) throw adminError("invalid_slug", `directory id must match ${SLUG}`);
  if (await ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", s)).first()) throw adminError("slug_taken", "directory id is taken");
  const id = await ctx.db.insert("scimDirectories", {
    groupId, slug: s, name, userCount: 0, groupCount: 0, nextUserSeq: 0, nextGroupSeq: 0, createdAt: Date.now(),
  });
  return { directoryId: id, slug: s, baseUrl: siteBase(s) };
}

async function storeToken(ctx: MutationCtx, directoryId: Id<"scimDirectories">, token: string, name: string, expiresAt?: number) {
  const hash = await sha256b64url(token);
  if (await ctx.db.query("scimTokens").withIndex("by_hash", (q) => q.eq("hash", hash)).first()) throw adminError("token_exists", "token already stored");
  return ctx.db.insert("scimTokens", {
    directoryId, hash, name, hint: token.slice(0, 9), createdAt: Date.now(), ...(expiresAt !== undefined ? { expiresAt } : {}),
  });
}

export const createDirectory = internalMutation({
  args: { groupId: v.id("groups"), name: v.string(), slug: v.optional(v.string()), roleRules: v.optional(v.array(scimRoleRule)) },
  returns: v.object({ directoryId: v.id("scimDirectories"), slug: v.string(), baseUrl: v.string() }),
  handler: async (ctx, a) => {
    if (!(await ctx.db.get(a.groupId))) throw adminError("unknown_group", "group not found");
    const out = await createDir(ctx, a.groupId, a.name, a.slug);
    if (a.roleRules) await ctx.db.patch(out.directoryId, { roleRules: a.roleRules });
    return out;
  },
});

/** Mint a bearer token for a directory; several may be active at once (rotation overlap). */
export const mintToken = internalMutation({
  args: { directoryId: v.id("scimDirectories"), name: v.optional(v.string()), expiresAt: v.optional(v.number()) },
  returns: v.object({ tokenId: v.id("scimTokens"), token: v.string() }),
  handler: async (ctx, a) => {
    if (!(await ctx.db.get(a.directoryId))) throw adminError("unknown_directory", "directory not found");
    const token = `scim_${randomToken(32)}`;
    const tokenId = await storeToken(ctx, a.directoryId, token, a.name ?? "token", a.expiresAt);
    return { tokenId, token };
  },
});

export const revokeToken = internalMutation({
  args: { tokenId: v.id("scimTokens") },
  returns: v.null(),
  handler: async (ctx, a) => {
    const t = await ctx.db.get(a.tokenId);
    if (!t) throw adminError("unknown_token", "token not found");
    if (t.revokedAt === undefined) await ctx.db.patch(t._id, { revokedAt: Date.now() });
    return null;
  },
});

export const setRoleRules = internalMutation({
  args: { directoryId: v.id("scimDirectories"), roleRules: v.array(scimRoleRule) },
  returns: v.null(),
  handler: async (ctx, a) => {
    if (!(await ctx.db.get(a.directoryId))) throw adminError("unknown_directory", "directory not found");
    await ctx.db.patch(a.directoryId, { roleRules: a.roleRules });
    return null;
  },
});

export const listDirectories = internalQuery({
  args: { groupId: v.optional(v.id("groups")) },
  handler: async (ctx, a) => {
    const dirs = a.groupId
      ? await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", a.groupId!)).take(100)
      : await ctx.db.query("scimDirectories").take(100);
    const out = [];
    for (const d of dirs) {
      const tokens = await ctx.db.query("scimTokens").withIndex("by_directoryId", (q) => q.eq("directoryId", d._id)).take(50);
      out.push({
        directoryId: d._id,
        groupId: d.groupId,
        slug: d.slug,
        name: d.name,
        baseUrl: siteBase(d.slug),
        users: d.userCount,
        groups: d.groupCount,
        roleRules: d.roleRules ?? [],
        tokens: tokens.map((t) => ({
          tokenId: t._id, name: t.name, hint: t.hint, createdAt: t.createdAt,
          expiresAt: t.expiresAt ?? null, lastUsedAt: t.lastUsedAt ?? null, revokedAt: t.revokedAt ?? null,
        })),
      });
    }
    return out;
  },
});

/**
 * Local gateway seeding: ensure the demo group's directory exists and the fixed demo token (from the demo
 * config file) is stored hashed. Idempotent.
 */
export const seedDirectory = internalMutation({
  args: { groupSlug: v.string(), directoryId: v.optional(v.string()), name: v.string(), token: v.string(), roleRules: v.optional(v.array(scimRoleRule)) },
  returns: v.object({ slug: v.string(), baseUrl: v.string() }),
  handler: async (ctx, a) => {
    const group = await groupBySlug(ctx, a.groupSlug);
    if (!group) throw adminError("unknown_group", `group "${a.groupSlug}" not found`);
    // RFC 6750 b64token characters only, so the HTTP layer's Bearer parser accepts it.
    if (a.token.length < 16 || !/^[A-Za-z0-9\-._~+/]+=*$/.test(a.token))
      throw adminError("weak_token", "SCIM token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + /");
    let dir = a.directoryId ? await ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", a.directoryId!)).unique() : null;
    if (!dir && !a.directoryId) dir = await ctx.db.query("scimDirectories").withIndex("by_groupId", (q) => q.eq("groupId", group._id)).first();
    if (dir && dir.groupId !== group._id) throw adminError("slug_taken", "directory id belongs to another group");
    const id = dir?._id ?? (await createDir(ctx, group._id, a.name, a.directoryId)).directoryId;
    if (a.roleRules) await ctx.db.patch(id, { roleRules: a.roleRules });
    const hash = await sha256b64url(a.token);
    const existing = await ctx.db.query("scimTokens").withIndex("by_hash", (q) => q.eq("hash", hash)).first();
    if (existing && existing.directoryId !== id) throw adminError("token_exists", "token is used by another directory");
    if (!existing) await storeToken(ctx, id, a.token, "demo");
    const slug = (await ctx.db.get(id))!.slug;
    return { slug, baseUrl: siteBase(slug) };
  },
});
