// Failed-login traces: the user sees only `ref`; the admin reads code + detail here.
import { v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "./lib/functions";
import type { Id } from "./_generated/dataModel";
import { randomToken } from "./lib/crypto";

export const traceArgs = {
  protocol: v.union(v.literal("saml"), v.literal("oidc"), v.literal("oauth")),
  connectionId: v.optional(v.id("connections")),
  groupId: v.optional(v.id("groups")),
  code: v.string(),
  detail: v.string(),
};

export async function recordTrace(
  ctx: MutationCtx,
  args: {
    protocol: "saml" | "oidc" | "oauth";
    connectionId?: Id<"connections">;
    groupId?: Id<"groups">;
    code: string;
    detail: string;
  },
): Promise<string> {
  const ref = randomToken(9); // 12 characters, enough to be unguessable and short to read out
  let groupId = args.groupId;
  if (!groupId && args.connectionId) groupId = (await ctx.db.get(args.connectionId))?.groupId;
  await ctx.db.insert("ssoTraces", {
    ref,
    protocol: args.protocol,
    connectionId: args.connectionId,
    groupId,
    code: args.code,
    detail: args.detail.slice(0, 2000),
    at: Date.now(),
  });
  return ref;
}

export const record = internalMutation({
  args: traceArgs,
  returns: v.string(),
  handler: (ctx, args) => recordTrace(ctx, args),
});

/** For the admin: what a reference means. */
export const byRef = internalQuery({
  args: { ref: v.string() },
  handler: async (ctx, { ref }) => ctx.db.query("ssoTraces").withIndex("by_ref", (q) => q.eq("ref", ref)).unique(),
});
