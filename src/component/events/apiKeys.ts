// Pull-API keys: minted like SCIM tokens (random, returned once, only the SHA-256 stored); several may be live
// at once so a key can be rotated without a gap: create the new one, switch the app, revoke the old one.
import { ConvexError, v } from "convex/values";
import type { MutationCtx } from "../lib/functions";
import { internalMutation, internalQuery } from "../lib/functions";
import { randomToken, sha256b64url } from "../lib/crypto";

const keyError = (path: string, message: string) => new ConvexError({ kind: "ApiKeyAdminError" as const, path, message: `${path}: ${message}` });
/** RFC 6750 b64token characters, so the Bearer parser accepts every stored key. */
const KEY = /^[A-Za-z0-9\-._~+/]{24,200}=*$/;

export async function storeApiKey(ctx: MutationCtx, name: string, key: string) {
  if (!KEY.test(key)) throw keyError("key", "API key must be at least 24 characters of A-Z a-z 0-9 - . _ ~ + /");
  if (!name.trim()) throw keyError("name", "must not be empty");
  const hash = await sha256b64url(key);
  const existing = await ctx.db.query("apiKeys").withIndex("by_hash", (q) => q.eq("hash", hash)).first();
  if (existing) return existing._id;
  return ctx.db.insert("apiKeys", { name: name.trim(), hash, hint: key.slice(0, 8), createdAt: Date.now() });
}

export const create = internalMutation({
  args: { name: v.string() },
  returns: v.object({ keyId: v.id("apiKeys"), key: v.string() }),
  handler: async (ctx, { name }) => {
    const key = `evk_${randomToken(32)}`;
    return { keyId: await storeApiKey(ctx, name, key), key };
  },
});

export const revoke = internalMutation({
  args: { keyId: v.id("apiKeys") },
  handler: async (ctx, { keyId }) => {
    const k = await ctx.db.get(keyId);
    if (!k) throw keyError("keyId", "no such key");
    if (k.revokedAt === undefined) await ctx.db.patch(keyId, { revokedAt: Date.now() });
    return null;
  },
});

export const list = internalQuery({
  args: {},
  handler: async (ctx) =>
    (await ctx.db.query("apiKeys").take(200)).map((k) => ({ keyId: k._id, name: k.name, hint: k.hint, createdAt: k.createdAt, revokedAt: k.revokedAt ?? null })),
});
