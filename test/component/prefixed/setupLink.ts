import { internalActionGeneric } from "convex/server";
import { v } from "convex/values";
import { gateway } from "./gateway";

/** An app's "Configure SSO" button, in a module that does not import http.ts. */
export const create = internalActionGeneric({
  args: { group: v.string() },
  handler: async (ctx, { group }) => (await gateway.createSetupLink(ctx, { group })).url,
});
