// SCIM parts of issue 9 item 13: Entra's manager form, an empty PatchOp, and 405 for OPTIONS.
import { describe, expect, test } from "vitest";
import { ENTERPRISE, ERROR_SCHEMA, PATCH_OP, USER_SCHEMA, setup } from "./helpers";

async function withUser() {
  const env = await setup();
  const res = await env.scim("/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName: "ann@example.com", active: true } });
  expect(res.status).toBe(201);
  return { env, id: ((await res.json()) as { id: string }).id };
}

describe("SCIM protocol edges", () => {
  test('Entra\'s manager form {"op":"Add","path":"manager","value":[{"$ref":null,"value":id}]} sets the manager', async () => {
    const { env, id } = await withUser();
    const res = await env.scim(`/Users/${id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "Add", path: "manager", value: [{ $ref: null, value: "mgr-42" }] }] },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as Record<string, { manager?: { value?: string } }>;
    expect(body[ENTERPRISE]?.manager?.value).toBe("mgr-42");
  });

  test("Operations: [] → 400 invalidValue (RFC 7644 §3.5.2), nothing changes", async () => {
    const { env, id } = await withUser();
    const res = await env.scim(`/Users/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [] } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ schemas: [ERROR_SCHEMA], scimType: "invalidValue", status: "400" });
  });

  test("OPTIONS on a SCIM route → SCIM JSON 405", async () => {
    const { env, id } = await withUser();
    for (const path of ["/Users", `/Users/${id}`, "/ServiceProviderConfig"]) {
      const res = await env.scim(path, { method: "OPTIONS" });
      expect(res.status).toBe(405);
      expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
      expect(await res.json()).toMatchObject({ schemas: [ERROR_SCHEMA], status: "405" });
    }
  });
});
