// Failed-login traces: the user sees only `ref`; the admin reads code + detail here.
import { v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "./lib/functions";
import type { Id } from "./_generated/dataModel";
import { randomToken } from "./lib/crypto";
import { recordFailedSignIn } from "./limits";
import { logEvent } from "./signin";
import { isSignInFailureTrace } from "../events/catalogue";

export const traceArgs = {
  protocol: v.union(v.literal("saml"), v.literal("oidc"), v.literal("oauth"), v.literal("webhook")),
  connectionId: v.optional(v.id("connections")),
  groupId: v.optional(v.id("groups")),
  code: v.string(),
  detail: v.string(),
  /** The IdP subject of a sign-in that failed after its assertion / ID token was verified: counted against
   *  signIn.maxFailedAttemptsPerHour (src/component/limits.ts). */
  failedSubject: v.optional(v.string()),
};

export async function recordTrace(
  ctx: MutationCtx,
  args: {
    protocol: "saml" | "oidc" | "oauth" | "webhook";
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
  // A failed SAML / OIDC sign-in (not a failed logout) is an event too (docs/events.md): the code and the reference, never the detail.
  if (isSignInFailureTrace(args.protocol, args.code)) {
    await logEvent(ctx, "signin.failed", groupId, { protocol: args.protocol as "saml" | "oidc", code: args.code, traceRef: ref, connectionId: args.connectionId });
  }
  return ref;
}

export const record = internalMutation({
  args: traceArgs,
  returns: v.string(),
  handler: async (ctx, { failedSubject, ...args }) => {
    if (failedSubject !== undefined && args.connectionId) await recordFailedSignIn(ctx, args.connectionId, failedSubject);
    return recordTrace(ctx, args);
  },
});

/** For the admin: what a reference means. */
export const byRef = internalQuery({
  args: { ref: v.string() },
  handler: async (ctx, { ref }) => ctx.db.query("ssoTraces").withIndex("by_ref", (q) => q.eq("ref", ref)).unique(),
});
