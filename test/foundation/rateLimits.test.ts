// Issue 9 item 8 through convex/http.ts: anonymous requests are rate-limited per client address and per
// connection / client / directory (429 + Retry-After, protocol-shaped), an unknown connection id writes
// nothing, failed sign-ins per IdP subject are capped, and every sweep clears its whole backlog.
// Client addresses are loopback strings in the header Convex's edge sets (x-forwarded-for, last entry).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { clientAddressKey } from "../../src/shared/clientAddress";
import { APP, form, newGateway, pkcePair, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";

let t: TestGateway;
let groupId: Id<"groups">;
beforeEach(async () => {
  t = newGateway();
  groupId = await seedGroupAndApp(t);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

const from = (address: string) => ({ "x-forwarded-for": address });

async function authorizeUrl() {
  const { challenge } = await pkcePair();
  return `/sso/authorize?${new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, code_challenge: challenge, code_challenge_method: "S256", group: "acme" })}`;
}

/** Empty a bucket, as if its tokens were spent a moment ago (callers freeze Date so nothing refills meanwhile). */
async function exhaust(name: string, key: string) {
  await t.run((ctx) => ctx.db.insert("rateLimits", { name, key, value: 0, ts: Date.now() }));
}

describe("client address key", () => {
  test("the last x-forwarded-for entry counts; an IPv6 /64 is one key; no header is one shared key", () => {
    const key = (v?: string) => clientAddressKey(new Headers(v === undefined ? {} : { "x-forwarded-for": v }));
    expect(key("127.0.0.9, 127.0.0.2")).toBe("127.0.0.2");
    expect(key("127.0.0.2")).toBe("127.0.0.2");
    expect(key("2001:db8:1:2:aaaa::1")).toBe(key("2001:db8:1:2:bbbb::2"));
    expect(key("2001:db8:1:2::1")).not.toBe(key("2001:db8:1:3::1"));
    expect(key("[::1]:5000")).toBe(key("::1"));
    expect(key()).toBe("unknown");
    expect(key("not an address")).toBe("unknown");
  });
});

describe("429 per address and per target", () => {
  test("/sso/authorize: 30 a minute per address, then a 429 page with Retry-After; another address is unaffected", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const url = await authorizeUrl();
    for (let i = 0; i < 30; i++) expect((await t.fetch(url, { headers: from("127.0.0.2") })).status).toBe(302);
    // A client cannot escape by prepending its own entry.
    const res = await t.fetch(url, { headers: from("127.0.0.77, 127.0.0.2") });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect((await t.fetch(url, { headers: from("127.0.0.3") })).status).toBe(302);
    vi.setSystemTime(Date.now() + 60_000);
    expect((await t.fetch(url, { headers: from("127.0.0.2") })).status).toBe(302);
  });

  test("/oauth/token and /oauth/introspect: RFC 6749-shaped 429 with Retry-After", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await exhaust("tokenByAddress", "127.0.0.2");
    const tok = await t.fetch("/oauth/token", form({ grant_type: "refresh_token", client_id: APP.clientId, refresh_token: "x" }, from("127.0.0.2")));
    expect(tok.status).toBe(429);
    expect(await tok.json()).toMatchObject({ error: "temporarily_unavailable" });
    expect(Number(tok.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await t.fetch("/oauth/token", form({ grant_type: "refresh_token", client_id: APP.clientId, refresh_token: "x" }, from("127.0.0.3")))).status).toBe(400);

    await exhaust("introspectByClient", APP.clientId);
    const intro = await t.fetch("/oauth/introspect", form({ client_id: APP.clientId, token: "x" }, from("127.0.0.4")));
    expect(intro.status).toBe(429);
    expect(await intro.json()).toMatchObject({ error: "temporarily_unavailable" });
  });

  test("ACS and OIDC callback: an unknown connection id is a 404 that writes nothing; a limited address gets 429, no trace", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const before = await snapshot(t);
    for (const id of ["nope", "k57a0000000000000000000000000000"]) {
      const acs = await t.fetch(`/sso/saml/${id}/acs`, form({ SAMLResponse: "PHg+" }, from("127.0.0.2")));
      expect(acs.status).toBe(404);
      const cb = await t.fetch(`/sso/oidc/${id}/callback?state=s&code=c`, { headers: from("127.0.0.2") });
      expect(cb.status).toBe(404);
    }
    expect(await snapshot(t)).toEqual(before);

    const connectionId = await t.run(async (ctx) =>
      ctx.db.insert("connections", { groupId, kind: "saml", name: "IdP", status: "active", config: {}, createdAt: 0, updatedAt: 0 }),
    );
    await exhaust("acsByAddress", "127.0.0.2");
    const tracesBefore = (await t.run((ctx) => ctx.db.query("ssoTraces").collect())).length;
    const limited = await t.fetch(`/sso/saml/${connectionId}/acs`, form({ SAMLResponse: "PHg+" }, from("127.0.0.2")));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
    expect((await t.run((ctx) => ctx.db.query("ssoTraces").collect())).length).toBe(tracesBefore);
  });
});

describe("sweeps keep pace", () => {
  test("a backlog larger than one batch is cleared by scheduled continuations; traces past retention go, recent stay", async () => {
    vi.useFakeTimers();
    vi.stubEnv("GATEWAY_OPTIONS", JSON.stringify({ traces: { retentionMs: 2 * 3600_000 } }));
    const now = Date.now();
    await t.run(async (ctx) => {
      const app = (await ctx.db.query("apps").first())!;
      for (let i = 0; i < 250; i++) {
        await ctx.db.insert("authRequests", { appId: app._id, redirectUri: APP.redirectUri, codeChallenge: "c", groupId, expiresAt: now - 1 });
        await ctx.db.insert("ssoTraces", { ref: `r${i}`, protocol: "saml", code: "x", detail: "", at: now - 3 * 3600_000 });
        await ctx.db.insert("rateLimits", { name: "acsByAddress", key: `127.0.${i}.1`, value: 1, ts: now - 2 * 3600_000 });
      }
      await ctx.db.insert("ssoTraces", { ref: "recent", protocol: "saml", code: "x", detail: "", at: now - 3600_000 });
    });
    await t.mutation(internal.maintenance.sweep, { limit: 100, chain: true });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const left = await t.run(async (ctx) => ({
      requests: (await ctx.db.query("authRequests").collect()).length,
      traces: (await ctx.db.query("ssoTraces").collect()).map((r) => r.ref),
      buckets: (await ctx.db.query("rateLimits").collect()).length,
    }));
    expect(left).toEqual({ requests: 0, traces: ["recent"], buckets: 0 });
  });

  test("trace retention defaults to 30 days", async () => {
    const { parseGatewayOptions } = await import("../../src/session/options");
    expect(parseGatewayOptions({}).traces.retentionMs).toBe(30 * 24 * 3600_000);
    expect(parseGatewayOptions({}).signIn.maxFailedAttemptsPerHour).toBe(10);
  });
});

test("/sso/authorize spends one address token per request also when a connection is found (regression)", async () => {
  await t.run(async (ctx) => ctx.db.insert("connections", { groupId, kind: "oidc", name: "IdP", status: "active", config: {}, createdAt: 0, updatedAt: 0 }));
  const url = await authorizeUrl();
  await t.fetch(url, { headers: from("127.0.0.8") });
  const bucket = await t.run(async (ctx) => (await ctx.db.query("rateLimits").collect()).find((r) => r.name === "authorizeByAddress"));
  expect(Math.round(bucket!.value)).toBe(29);
});
