import { queryGeneric } from "convex/server";
import { getSsoIdentity } from "../../../src/server";
import { gateway, sso } from "./gateway";

const ssoQuery = sso.query(queryGeneric);

/** Who is signed in (null when not, or when the session was revoked: embedded mode checks the row). */
export const whoami = queryGeneric({ args: {}, handler: (ctx) => getSsoIdentity(ctx, gateway) });

/** Guarded by a grant that only admins hold. */
export const create = queryGeneric({
  args: {},
  handler: async (ctx) => {
    const who = await sso.requireGrant(ctx, "projects:write");
    return { createdBy: who.userId };
  },
});

export const mine = ssoQuery({ args: {}, handler: async (ctx) => ({ group: ctx.sso.group, grants: ctx.sso.grants }) });
