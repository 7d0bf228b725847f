// Bulk seeding for scale tests and the bench: writes exactly the rows the HTTP path writes for a user
// (scimUsers + scimUserEmails + seq buckets + directory counters; see src/component/scim/store.ts insertUser),
// without the per-insert uniqueness lookup, in chunks that stay inside Convex's per-transaction limits.
// test/scim/scale.test.ts checks a seeded row has the same shape as one created over HTTP.
// No vitest import here: bench/scim.ts uses it under tsx.
import type { TestConvex } from "convex-test";
import type schema from "../../src/component/schema";
import type { Id } from "../../src/component/_generated/dataModel";
import { SEQ_BUCKET } from "../../src/component/scim/store";

type T = TestConvex<typeof schema>;

export function seededUser(i: number) {
  const userName = `user${i}@scale.example`;
  return {
    userName,
    externalId: `ext-${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    displayName: `User ${i}`,
    active: true,
    emails: [{ value: userName, type: "work", primary: true }],
  };
}

export async function seedUsers(t: T, directoryId: Id<"scimDirectories">, n: number, chunk = 5000): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    await t.run(async (ctx) => {
      const dir = (await ctx.db.get(directoryId))!;
      const counts = new Map<string, number>();
      for (let i = start; i < end; i++) {
        const data = seededUser(i);
        const seq = dir.nextUserSeq + (i - start);
        const id = await ctx.db.insert("scimUsers", {
          directoryId, seq, json: JSON.stringify(data), userNameLower: data.userName.toLowerCase(), externalId: data.externalId,
          displayNameLower: data.displayName.toLowerCase(), active: true, version: 1, created: now, lastModified: now,
        });
        await ctx.db.insert("scimUserEmails", { directoryId, scimUserId: id, valueLower: data.userName.toLowerCase() });
        for (const [level, size] of [[0, SEQ_BUCKET], [1, SEQ_BUCKET * SEQ_BUCKET]] as const) {
          const key = `${level}:${Math.floor(seq / size)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      // One query for the existing counters (the in-memory engine scans per query: keep seeding fast).
      const existing = new Map(
        (await ctx.db.query("scimSeqBuckets").withIndex("by_directoryId_and_kind_and_level_and_bucket", (q) => q.eq("directoryId", directoryId).eq("kind", "User")).collect())
          .map((r) => [`${r.level}:${r.bucket}` as string, r] as const),
      );
      for (const [key, add] of counts) {
        const [level, bucket] = key.split(":").map(Number) as [number, number];
        const row = existing.get(key);
        if (row) await ctx.db.patch(row._id, { live: row.live + add });
        else await ctx.db.insert("scimSeqBuckets", { directoryId, kind: "User", level, bucket, live: add });
      }
      await ctx.db.patch(directoryId, { nextUserSeq: dir.nextUserSeq + (end - start), userCount: dir.userCount + (end - start) });
    });
  }
}
