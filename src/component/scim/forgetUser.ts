// After a SCIM DELETE: forget the gateway user the directory provisioned when nothing else holds on to it, so
// create/delete churn from a directory leaves no rows behind (issue 13). The user is kept — and its membership
// follows `policy.onDeprovision` — as soon as anything else refers to it: an identity (the person signed in),
// a session, a membership in another group, or another SCIM resource linked to it.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../lib/functions";

/** Deletes the user and its membership in `groupId` when the deleted SCIM user was its only hold; true if so. */
export async function forgetUnreferencedUser(
  ctx: MutationCtx,
  userId: Id<"users">,
  groupId: Id<"groups">,
  deleted: Id<"scimUsers">,
): Promise<boolean> {
  const [identity, session, memberships, links] = await Promise.all([
    ctx.db.query("identities").withIndex("by_user", (q) => q.eq("userId", userId)).first(),
    ctx.db.query("sessions").withIndex("by_user", (q) => q.eq("userId", userId)).first(),
    ctx.db.query("memberships").withIndex("by_user", (q) => q.eq("userId", userId)).take(2),
    ctx.db.query("scimUsers").withIndex("by_userId", (q) => q.eq("userId", userId)).take(2),
  ]);
  if (identity || session) return false;
  if (memberships.some((m) => m.groupId !== groupId)) return false;
  if (links.some((s: Doc<"scimUsers">) => s._id !== deleted)) return false;
  for (const m of memberships) await ctx.db.delete(m._id);
  if (await ctx.db.get(userId)) await ctx.db.delete(userId);
  return true;
}
