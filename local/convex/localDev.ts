// The local gateway's dev sign-in. This module lives outside convex/ on purpose: `npx convex deploy` never
// ships it, so it cannot be enabled on a real deployment. The local gateway adds it to the engine's modules.
import { ConvexError, v } from "convex/values";
import { internalMutation } from "../../src/component/lib/functions";
import { completeSignIn } from "../../src/component/signin";
import { appForRedirect, insertAuthRequest } from "../../src/component/sso/authorize";
import { groupBySlug } from "../../src/component/lib/lookups";
import { isLocalGateway } from "../../src/component/lib/env";

export const signIn = internalMutation({
  args: {
    clientId: v.string(),
    redirectUri: v.string(),
    state: v.optional(v.string()),
    codeChallenge: v.string(),
    groupSlug: v.string(),
    email: v.string(),
    name: v.optional(v.string()),
    roles: v.array(v.string()),
  },
  handler: async (ctx, a) => {
    if (!isLocalGateway()) throw new ConvexError({ kind: "DevSignInDisabled" });
    const found = await appForRedirect(ctx, a.clientId, a.redirectUri);
    if ("error" in found) throw new ConvexError({ kind: "SignInError", code: "invalid_app", message: found.error });
    if (!/^[A-Za-z0-9_-]{43}$/.test(a.codeChallenge)) {
      throw new ConvexError({ kind: "SignInError", code: "invalid_request", message: "code_challenge must be S256" });
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a.email)) {
      throw new ConvexError({ kind: "SignInError", code: "invalid_profile", message: "enter an email address" });
    }
    const group = await groupBySlug(ctx, a.groupSlug);
    if (!group) throw new ConvexError({ kind: "SignInError", code: "unknown_group", message: "no such group" });
    const authRequestId = await insertAuthRequest(ctx, {
      appId: found.app._id,
      redirectUri: a.redirectUri,
      state: a.state,
      codeChallenge: a.codeChallenge,
      groupId: group._id,
    });
    const { redirectTo } = await completeSignIn(ctx, {
      authRequestId,
      authMethod: "dev",
      profile: { subject: a.email.toLowerCase(), email: a.email, emailVerified: true, name: a.name || undefined },
      roles: a.roles.length ? a.roles : undefined,
    });
    return { redirectTo };
  },
});
