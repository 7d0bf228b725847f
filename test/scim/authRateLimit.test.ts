// Issue 9 item 8: failed SCIM authentication is rate-limited per client address (and per directory): after 10
// failures a minute the address gets RFC 7644 §3.12 JSON 429 with Retry-After. A live token of the directory
// still works from that address: IdPs provision from shared egress addresses, so one tenant's wrong token must not
// lock another tenant's provisioning out.
import { afterEach, expect, it, vi } from "vitest";
import { setup, ERROR_SCHEMA } from "./helpers";

afterEach(() => vi.useRealTimers());

it("10 bad tokens from one address → 401s, then 429 with Retry-After; the right token still works, from there and elsewhere", async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  const env = await setup();
  const attacker = { "x-forwarded-for": "127.0.0.66" };
  for (let i = 0; i < 10; i++) {
    const res = await env.scim("/Users", { headers: { ...attacker, Authorization: `Bearer wrong-${i}` } });
    expect(res.status).toBe(401);
  }
  const limited = await env.scim("/Users", { headers: { ...attacker, Authorization: "Bearer wrong-x" } });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(await limited.json()).toMatchObject({ schemas: [ERROR_SCHEMA], status: "429" });
  expect((await env.scim("/Users", { headers: { ...attacker, Authorization: "" } })).status).toBe(429); // no token at all
  expect((await env.scim("/Users", { headers: attacker })).status).toBe(200); // the directory's own token, same address
  expect((await env.scim("/Users", { headers: { "x-forwarded-for": "127.0.0.5" } })).status).toBe(200);
  vi.setSystemTime(Date.now() + 60_000);
  expect((await env.scim("/Users", { headers: { ...attacker, Authorization: "Bearer wrong-y" } })).status).toBe(401);
});
