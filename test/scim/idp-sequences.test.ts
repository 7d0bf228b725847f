// The request sequences Okta and Entra ID really send, through convex/http.ts (fixtures/scim/sequences.ts).
import { describe, expect, test } from "vitest";
import { coreSequence, entraSequence, oktaSequence, type ScimClient } from "../../fixtures/scim/sequences";
import { setup, snapshot, type Env } from "./helpers";

function client(env: Env): ScimClient {
  return async (method, path, body, headers) => {
    const res = await env.scim(path, { method, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
    expect(res.status).toBeLessThan(500);
    const text = await res.text();
    if (text) expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}
const strict = (ok: boolean, what: string) => expect(ok, what).toBe(true);

describe("Okta sequence", () => {
  test("connection test, lookups, create, PUT, groups, spec-test errors, deactivate", async () => {
    const env = await setup();
    const { requests } = await oktaSequence(client(env), strict);
    expect(requests).toBeGreaterThan(20);
    // Identity side: the SCIM user became a gateway user with an inactive membership after deactivation.
    const m = await env.t.run((ctx) => ctx.db.query("memberships").collect());
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ source: "scim", status: "inactive", groupId: env.groupId });
  });
});

describe("Entra sequence", () => {
  test("test connection, schemas, create with nulls, Entra PATCH shapes, groups, deletes", async () => {
    const env = await setup();
    const { requests } = await entraSequence(client(env), strict);
    expect(requests).toBeGreaterThan(15);
    const after = JSON.parse(await snapshot(env.t));
    expect(after.scimUsers).toHaveLength(0);
    expect(after.scimGroups).toHaveLength(0);
    expect(after.scimGroupMembers).toHaveLength(0);
    expect(after.scimUserEmails).toHaveLength(0);
    expect(after.dirs[0]).toEqual({ u: 0, g: 0 });
  });

  test("the sequences run repeatedly in one directory (unique names per run)", async () => {
    const env = await setup();
    for (let i = 1; i <= 2; i++) {
      await oktaSequence(client(env), strict, i);
      await entraSequence(client(env), strict, i);
    }
  });
});

describe("plain RFC CRUD (the bench's like-for-like sequence)", () => {
  test("passes every check", async () => {
    const env = await setup();
    const { requests } = await coreSequence(client(env), strict);
    expect(requests).toBe(12);
  });
});
