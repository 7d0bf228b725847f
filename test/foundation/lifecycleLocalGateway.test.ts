// Issue 9 items 5, 7, 8 over real HTTP against the local gateway (loopback only): introspection sees sign-out,
// a spent refresh token replayed inside the grace window returns the same successor, and /sso/authorize answers
// 429 with Retry-After once the peer address has spent its tokens — a forged x-forwarded-for does not help.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { pkceS256, randomToken } from "../../src/session/encoding";
import { devSignInOverHttp } from "./localHttp";

let gw: LocalGateway;
beforeAll(async () => {
  gw = await startLocalGateway({ port: 0, dataDir: mkdtempSync(join(tmpdir(), "gw-lifecycle-")), quiet: true });
});
afterAll(async () => gw?.close());

const post = (path: string, params: Record<string, string>) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });

test("refresh replayed 5 times inside the grace window: one successor, one chain", async () => {
  const tokens = await devSignInOverHttp(gw.url, "fork@demo.example");
  const first = await (await post("/oauth/token", { grant_type: "refresh_token", client_id: "demo-app", refresh_token: tokens.refresh_token })).json();
  const replays = await Promise.all(
    Array.from({ length: 5 }, () => post("/oauth/token", { grant_type: "refresh_token", client_id: "demo-app", refresh_token: tokens.refresh_token }).then((r) => r.json())),
  );
  expect(replays.map((r) => r.refresh_token)).toEqual(Array(5).fill(first.refresh_token));
  expect((await post("/oauth/token", { grant_type: "refresh_token", client_id: "demo-app", refresh_token: first.refresh_token })).status).toBe(200);
});

test("sign-out reaches the app: introspection turns inactive and refresh fails", async () => {
  const tokens = await devSignInOverHttp(gw.url, "revoke@demo.example");
  const live = await (await post("/oauth/introspect", { client_id: "demo-app", token: tokens.access_token })).json();
  expect(live).toMatchObject({ active: true, client_id: "demo-app", iss: gw.url });
  expect((await post("/oauth/revoke", { client_id: "demo-app", token: tokens.refresh_token })).status).toBe(200);
  expect(await (await post("/oauth/introspect", { client_id: "demo-app", token: tokens.access_token })).json()).toEqual({ active: false });
  const refreshed = await post("/oauth/token", { grant_type: "refresh_token", client_id: "demo-app", refresh_token: tokens.refresh_token });
  expect(refreshed.status).toBe(400);
});

test("/sso/authorize: 429 + Retry-After after 30 a minute from this peer, whatever x-forwarded-for says", async () => {
  const challenge = await pkceS256(randomToken(32));
  const url = `${gw.url}/sso/authorize?${new URLSearchParams({ client_id: "demo-app", redirect_uri: `${gw.url}/demo/callback`, code_challenge: challenge, code_challenge_method: "S256", group: "demo" })}`;
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) {
    const res = await fetch(url, { redirect: "manual", headers: { "x-forwarded-for": `127.0.0.${100 + i}` } });
    statuses.push(res.status);
    if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await res.arrayBuffer();
  }
  expect(statuses.slice(0, 30)).toEqual(Array(30).fill(302));
  expect(statuses[30]).toBe(429);
});
