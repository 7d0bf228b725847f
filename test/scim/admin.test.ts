// SCIM admin functions: validation paths (codes, nothing written) and the happy path.
import { describe, expect, test } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { DEMO_TOKEN, setup, snapshot } from "./helpers";

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e: any) {
    return e.data?.code ?? "other";
  }
  return "ok";
};

describe("admin", () => {
  test("createDirectory / mintToken / listDirectories", async () => {
    const env = await setup();
    const d = await env.t.mutation(internal.scim.admin.createDirectory, { groupId: env.groupId, name: "Second" });
    expect(d.slug).toMatch(/^dir_[A-Za-z0-9]{12}$/);
    expect(d.baseUrl).toBe(`https://gw.example.test/scim/v2/${d.slug}`);
    const m = await env.t.mutation(internal.scim.admin.mintToken, { directoryId: d.directoryId, name: "okta" });
    expect(m.token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    const list = await env.t.query(internal.scim.admin.listDirectories, { groupId: env.groupId });
    expect(list.map((x) => x.slug).sort()).toEqual(["acme-dir", d.slug].sort());
    const second = list.find((x) => x.slug === d.slug)!;
    expect(second.tokens).toEqual([expect.objectContaining({ name: "okta", hint: m.token.slice(0, 9), revokedAt: null, lastUsedAt: null })]);
    const r = await env.t.fetch(`/scim/v2/${d.slug}/Users`, { headers: { Authorization: `Bearer ${m.token}` } });
    expect(r.status).toBe(200);
  });

  test.each([
    ["invalid slug", { slug: "a/b" }, "invalid_slug"],
    ["slug too short", { slug: "ab" }, "invalid_slug"],
    ["slug taken", { slug: "acme-dir" }, "slug_taken"],
  ])("createDirectory: %s", async (_n, extra, want) => {
    const env = await setup();
    const before = await snapshot(env.t);
    expect(await code(env.t.mutation(internal.scim.admin.createDirectory, { groupId: env.groupId, name: "x", ...extra }))).toBe(want);
    expect(await snapshot(env.t)).toBe(before);
  });

  test("seedDirectory is idempotent and refuses weak, odd or foreign tokens and unknown groups", async () => {
    const env = await setup();
    const again = await env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", directoryId: "acme-dir", name: "Acme", token: DEMO_TOKEN });
    expect(again.slug).toBe("acme-dir");
    const tokens = await env.t.run((ctx) => ctx.db.query("scimTokens").collect());
    expect(tokens).toHaveLength(1);
    expect(await code(env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "A", token: "short" }))).toBe("weak_token");
    expect(await code(env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "A", token: "has spaces in it, sixteen+" }))).toBe("weak_token");
    expect(await code(env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "nope", name: "A", token: DEMO_TOKEN }))).toBe("unknown_group");
    await env.t.run((ctx) => ctx.db.insert("groups", { slug: "other", name: "O", policy: { defaultRole: "member" }, createdAt: 0 }));
    expect(await code(env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "other", directoryId: "other-dir", name: "O", token: DEMO_TOKEN }))).toBe("token_exists");
    expect(await code(env.t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "other", directoryId: "acme-dir", name: "O", token: "another-token-0123456789" }))).toBe("slug_taken");
  });
});
