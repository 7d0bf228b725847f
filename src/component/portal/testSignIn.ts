// The end of a portal test sign-in: the IdP's answer was fully validated by the protocol (SAML ACS / OIDC
// callback) exactly as for a real login; instead of a session, the portal records what the IdP asserted and
// what the gateway would make of it (user, group, role). Nothing else is written: no user, no session.
import { ConvexError } from "convex/values";
import type { MutationCtx } from "../lib/functions";
import type { Doc } from "../_generated/dataModel";
import { rolesFromRules } from "../../session/roles";
import { siteUrl } from "../lib/env";
import { logEvent } from "../signin";

interface Profile {
  subject: string;
  email?: string;
  name?: string;
  groups?: string[];
  attributes?: unknown;
}

/** Attributes as short strings: the result page shows them, never anything large. */
function shownAttributes(raw: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (typeof raw !== "object" || raw === null) return out;
  for (const [k, v] of Object.entries(raw).slice(0, 50)) {
    const values = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : JSON.stringify(x) ?? "")).slice(0, 20);
    out[k.slice(0, 200)] = values.map((x) => x.slice(0, 300));
  }
  return out;
}

export async function completePortalTest(
  ctx: MutationCtx,
  request: Doc<"authRequests">,
  connection: Doc<"connections">,
  profile: Profile,
): Promise<{ redirectTo: string }> {
  const test = request.portalTestId ? await ctx.db.get(request.portalTestId) : null;
  if (!test || test.connectionId !== connection._id || test.status !== "pending") {
    throw new ConvexError({ kind: "SignInError", code: "request_not_found", message: "the portal test is unknown or already finished" });
  }
  const group = (await ctx.db.get(connection.groupId))!;
  const identity = await ctx.db
    .query("identities")
    .withIndex("by_provider_and_subject", (q) => q.eq("provider", `connection:${connection._id}`).eq("subject", profile.subject))
    .unique();
  const user = identity ? await ctx.db.get(identity.userId) : null;
  const roles = rolesFromRules(connection.roleRules, profile.groups, group.policy.defaultRole);
  const now = Date.now();
  await ctx.db.patch(test._id, {
    status: "succeeded",
    result: {
      asserted: {
        subject: profile.subject,
        ...(profile.email ? { email: profile.email } : {}),
        ...(profile.name ? { name: profile.name } : {}),
        groups: profile.groups ?? [],
        attributes: shownAttributes(profile.attributes),
      },
      user: { existing: Boolean(user), ...(user?.email ? { email: user.email } : {}), ...(user?.name ? { name: user.name } : {}) },
      group: group.name,
      roles,
    },
  });
  await ctx.db.patch(request._id, { usedAt: now });
  const setup = await ctx.db.query("portalSetups").withIndex("by_connectionId", (q) => q.eq("connectionId", connection._id)).unique();
  if (setup) await ctx.db.patch(setup._id, { testedAt: now });
  await logEvent(ctx, "portal.connection.tested", group._id, { connectionId: connection._id, portalTestId: test._id, ok: true, roles });
  return { redirectTo: `${siteUrl()}/portal/sso/test/${test._id}` };
}
