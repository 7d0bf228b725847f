// Admin access to the gateway component from the CLI or the dashboard: internal only (no client can call it).
//   npx convex run admin:run '{"kind":"mutation","fn":"admin/groups:create","args":{"slug":"acme","name":"Acme"}}'
// (`npm run admin -- --prod admin/groups:create '{…}'` finds the kind itself.) It goes through the SsoGateway so the
// component gets the env (issuer, encryption key) it cannot read itself.
import { internalActionGeneric } from "convex/server";
import { v } from "convex/values";
import { gateway } from "./gateway";

export const run = internalActionGeneric({
  args: { kind: v.union(v.literal("query"), v.literal("mutation"), v.literal("action")), fn: v.string(), args: v.optional(v.any()) },
  handler: (ctx, a) => gateway.run(ctx, a.kind, a.fn, a.args ?? {}),
});
