// The app's callbacks, called inside the component's transaction through function handles (the app side turns
// its function references into handles and passes them down in the env): if the app's mutation throws, the
// sign-in or SCIM change it was told about rolls back with it.
import type { FunctionHandle } from "convex/server";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./lib/functions";
import { currentEnv } from "./lib/env";

export type UserChange = {
  userId: Id<"users">;
  /** False when this change created the user. */
  existingUser: boolean;
  groupId: Id<"groups">;
  source: "saml" | "oidc" | "scim" | "dev";
};

/** callbacks.afterUserCreatedOrUpdated, once per change of a user or of their membership. */
export async function afterUserCreatedOrUpdated(ctx: MutationCtx, change: UserChange): Promise<void> {
  const handle = currentEnv().callbacks?.afterUserCreatedOrUpdated;
  if (!handle) return;
  await ctx.runMutation(handle as FunctionHandle<"mutation", UserChange>, change);
}
