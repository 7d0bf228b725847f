// Session liveness for the app's helpers (getSsoIdentity in embedded mode): a revoked, expired or idle session
// stops authorising the app's functions at once, not when its JWT expires.
import { v } from "convex/values";
import { internalQuery } from "./lib/functions";
import { sessionProblem } from "./oauth/grants";

export const isLive = internalQuery({
  args: { sessionId: v.string(), userId: v.string() },
  returns: v.boolean(),
  handler: async (ctx, a) => {
    const id = ctx.db.normalizeId("sessions", a.sessionId);
    const session = id ? await ctx.db.get(id) : null;
    if (!session || session.userId !== a.userId) return false;
    return (await sessionProblem(ctx, session, Date.now())) === null;
  },
});
