// Verifying a group's email domain, whoever vouches for it (the operator's word, or a DNS TXT record proven in the
// setup portal): one rule, so a domain is never verified for two groups and domain.verified is raised once.
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { logEvent } from "../signin";

/** Marks the domain row verified; "taken" (and nothing written) when another group has already verified it. */
export async function markDomainVerified(ctx: MutationCtx, row: Doc<"domains">, method: "admin" | "dns"): Promise<"verified" | "taken"> {
  const claims = await ctx.db.query("domains").withIndex("by_domain", (q) => q.eq("domain", row.domain)).take(20);
  if (claims.some((o) => o._id !== row._id && o.verified)) return "taken";
  if (!row.verified) {
    await ctx.db.patch(row._id, { verified: true, verifiedAt: Date.now() });
    await logEvent(ctx, "domain.verified", row.groupId, { domain: row.domain, method });
  }
  return "verified";
}
