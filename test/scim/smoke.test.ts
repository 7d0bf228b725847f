import { describe, expect, test } from "vitest";
import { setup, user, USER_SCHEMA } from "./helpers";

describe("smoke", () => {
  test("create and get a user", async () => {
    const env = await setup();
    const u = await user(env, "Alice@Example.com", { emails: [{ value: "alice@example.com", type: "work", primary: true }] });
    expect(u.userName).toBe("Alice@Example.com");
    const r = await env.scim(`/Users/${u.id}`);
    expect(r.status).toBe(200);
    const list = await env.scim(`/Users?filter=${encodeURIComponent('userName eq "alice@example.com"')}`);
    const body = await list.json();
    expect(body.totalResults).toBe(1);
    const bad = await env.scim("/Users", { headers: { Authorization: "Bearer nope-nope-nope" } });
    expect(bad.status).toBe(401);
    console.log(await bad.json(), USER_SCHEMA);
  });
});
