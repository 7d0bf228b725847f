import { mutationGeneric, queryGeneric } from "convex/server";
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

/** The operator overview, for the app's own team: only a role with the grant gateway:admin sees it. */
export const gatewayOverview = queryGeneric({
  args: {},
  handler: async (ctx) => {
    await sso.requireGrant(ctx, "gateway:admin");
    return gateway.operatorOverview(ctx);
  },
});

/** The app's "Gateway" button: an operator link, which SsoGateway mints only for a member holding gateway:admin. */
export const operatorLink = mutationGeneric({ args: {}, handler: (ctx) => gateway.createOperatorLink(ctx) });

export const mine = ssoQuery({ args: {}, handler: async (ctx) => ({ group: ctx.sso.group, grants: ctx.sso.grants }) });
