// Across the seam: a SCIM-provisioned person signs in later and lands on the same gateway user; SCIM
// deactivation then stops their refresh token and blocks the next sign-in (issue 6 bullet 11).
import { describe, expect, test } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { exchange, newGateway, refresh, seedGroupAndApp, signIn } from "../helpers";
import { DEMO_TOKEN, PATCH_OP, USER_SCHEMA } from "./helpers";

describe("SCIM → SSO", () => {
  test("provisioned user = signed-in user; deactivation revokes refresh and blocks sign-in", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t, "acme");
    const { slug } = await t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "Acme", token: DEMO_TOKEN });
    const scim = (path: string, method = "GET", body?: unknown) =>
      t.fetch(`/scim/v2/${slug}${path}`, { method, headers: { Authorization: `Bearer ${DEMO_TOKEN}`, "Content-Type": "application/scim+json" }, ...(body ? { body: JSON.stringify(body) } : {}) });

    const created = await (await scim("/Users", "POST", { schemas: [USER_SCHEMA], userName: "ada@acme.example", externalId: "okta-ada", emails: [{ value: "Ada@Acme.example", primary: true }], active: true })).json();
    const linked = await t.run(async (ctx) => (await ctx.db.get(created.id as Id<"scimUsers">))!.userId);

    const login = await signIn(t, groupId, { subject: "saml-nameid-ada", email: "ada@acme.example" });
    expect(login.userId).toBe(linked);
    const tokens = await (await exchange(t, login.code, login.verifier)).json();
    expect(tokens.refresh_token).toBeTypeOf("string");

    const off = await scim(`/Users/${created.id}`, "PATCH", { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
    expect(off.status).toBe(200);
    const r = await refresh(t, tokens.refresh_token);
    expect(r.status).toBe(400);
    expect((await r.json()).error).toBe("invalid_grant");
    await expect(signIn(t, groupId, { subject: "saml-nameid-ada", email: "ada@acme.example" })).rejects.toMatchObject({ data: { code: "membership_inactive" } });
  });
});
