// The two by-name lookups every layer needs: an app by its client_id, a group by its slug (both unique).
import type { QueryCtx } from "../lib/functions";

type Reader = Pick<QueryCtx, "db">;

export function appByClientId(ctx: Reader, clientId: string) {
  return ctx.db.query("apps").withIndex("by_clientId", (q) => q.eq("clientId", clientId)).unique();
}

export function groupBySlug(ctx: Reader, slug: string) {
  return ctx.db.query("groups").withIndex("by_slug", (q) => q.eq("slug", slug)).unique();
}
