// The lookups every layer needs: an app by its client_id, a group by its slug (both unique), a group's
// verified email domains.
import type { Id } from "../_generated/dataModel";
import type { QueryCtx } from "../lib/functions";

type Reader = Pick<QueryCtx, "db">;

export function appByClientId(ctx: Reader, clientId: string) {
  return ctx.db.query("apps").withIndex("by_clientId", (q) => q.eq("clientId", clientId)).unique();
}

export function groupBySlug(ctx: Reader, slug: string) {
  return ctx.db.query("groups").withIndex("by_slug", (q) => q.eq("slug", slug)).unique();
}

/** The group's verified email domains, lower-case (the linking rule's evidence). A group has few: bounded read. */
export async function verifiedDomainsOf(ctx: Reader, groupId: Id<"groups">): Promise<Set<string>> {
  const rows = await ctx.db.query("domains").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(200);
  return new Set(rows.filter((d) => d.verified).map((d) => d.domain));
}
