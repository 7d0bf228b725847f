// Local gateway seeding: the seed file's `webhooks: [{ url, secret, events? }]` and `apiKeys: [{ name, key }]`.
// Idempotent: an endpoint is matched by URL (its secret and filter are brought in line), a key by its hash.
import { v } from "convex/values";
import { internalMutation } from "../lib/functions";
import { sealSecret } from "../lib/crypto";
import { checkWebhookSecret } from "../../events/sign";
import { checkEventFilter } from "../../events/catalogue";
import { insertEndpoint } from "./webhooks";
import { storeApiKey } from "./apiKeys";

export const apply = internalMutation({
  args: {
    webhooks: v.array(v.object({ url: v.string(), secret: v.string(), events: v.optional(v.array(v.string())) })),
    apiKeys: v.array(v.object({ name: v.string(), key: v.string() })),
  },
  handler: async (ctx, a) => {
    for (const w of a.webhooks) {
      const existing = await ctx.db.query("webhookEndpoints").withIndex("by_url", (q) => q.eq("url", new URL(w.url).toString())).first();
      if (!existing) {
        await insertEndpoint(ctx, w);
        continue;
      }
      await ctx.db.patch(existing._id, {
        secretSealed: await sealSecret(checkWebhookSecret(w.secret)),
        secretHint: w.secret.slice(0, 10),
        events: w.events ? checkEventFilter(w.events) : undefined,
      });
    }
    for (const k of a.apiKeys) await storeApiKey(ctx, k.name, k.key);
    return null;
  },
});
