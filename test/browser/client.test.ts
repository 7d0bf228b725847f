// The browser client (src/browser) against the REAL local gateway over HTTP, with injected fetch (counting the
// calls), storage, locks and channel: PKCE and state, the RFC 9207 iss check, refresh, two "tabs" refreshing
// at once under reuse detection with no grace window, and sign-out revoking the session.
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import type { AuthTokenFetcher } from "convex/browser";
import type { ConvexReactClient } from "convex/react";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { createSsoClient, memoryStorage, storageTabLock, SsoError, type SsoClient, type SsoClientOptions, type SsoStorage, type TabLock } from "../../src/browser";
import { pkceS256 } from "../../src/session/encoding";
import { browserClientGatewayOptions, TEST_CLIENT_ID } from "./gatewaySeed";
import { samlSignInOverHttp } from "./samlOverHttp";

const REDIRECT = "http://127.0.0.1:9/app/callback"; // registered, never fetched: the test reads the Location
let gw: LocalGateway;

beforeAll(async () => {
  gw = await startLocalGateway(browserClientGatewayOptions("gw-browser-client-", [REDIRECT]));
});
afterAll(async () => gw?.close());

interface Calls {
  token: string[];
  revoke: number;
}

/** A Promise-chain mutex shared by the "tabs" of one test, standing in for navigator.locks. */
function sharedMutex(): TabLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(_name: string, fn: () => Promise<T>) {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

function makeClient(extra: Partial<SsoClientOptions> = {}) {
  const calls: Calls = { token: [], revoke: 0 };
  const navigations: string[] = [];
  const countingFetch: typeof fetch = async (input, init) => {
    const url = String(input);
    if (url.endsWith("/oauth/token")) calls.token.push(new URLSearchParams(String(init?.body)).get("grant_type")!);
    if (url.endsWith("/oauth/revoke")) calls.revoke++;
    return fetch(input, init);
  };
  const client = createSsoClient({
    issuer: gw.url,
    clientId: TEST_CLIENT_ID,
    redirectUri: REDIRECT,
    storage: memoryStorage(),
    pendingStorage: memoryStorage(),
    fetch: countingFetch,
    lock: sharedMutex(),
    channel: null,
    navigate: (url) => void navigations.push(url),
    ...extra,
  });
  return { client, calls, navigations };
}

async function signedIn(extra: Partial<SsoClientOptions> = {}, groups = ["admins"]) {
  const made = makeClient(extra);
  const url = await made.client.signIn({ email: "ada@demo.example" });
  const callback = await samlSignInOverHttp(url, { email: "ada@demo.example", groups });
  await made.client.handleCallback(callback);
  return made;
}

async function refreshRaw(refreshToken: string) {
  const res = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: TEST_CLIENT_ID, refresh_token: refreshToken }),
  });
  return { status: res.status, body: await res.json() };
}

const storedRefreshToken = (storage: SsoStorage) => JSON.parse(storage.getItem(`sso:${TEST_CLIENT_ID}:tokens`)!).refreshToken as string;

describe("signIn", () => {
  test("redirects to /sso/authorize with PKCE S256, a fresh state and the login hint; the gateway accepts it", async () => {
    const pending = memoryStorage();
    const { client, navigations } = makeClient({ pendingStorage: pending });
    const url = new URL(await client.signIn({ email: "ada@demo.example" }));
    expect(navigations).toEqual([url.toString()]);
    expect(url.origin + url.pathname).toBe(`${gw.url}/sso/authorize`);
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ response_type: "code", client_id: TEST_CLIENT_ID, redirect_uri: REDIRECT, code_challenge_method: "S256", login_hint: "ada@demo.example" });
    const saved = JSON.parse(pending.getItem(`sso:${TEST_CLIENT_ID}:pending`)!);
    const entry = saved[q.get("state")!];
    expect(entry.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("code_challenge")).toBe(await pkceS256(entry.verifier));

    const again = new URL(await client.signIn({ group: "demo" }));
    expect(again.searchParams.get("group")).toBe("demo");
    expect(again.searchParams.get("state")).not.toBe(q.get("state"));
    expect(again.searchParams.get("code_challenge")).not.toBe(q.get("code_challenge"));
    const byConnection = new URL(await client.signIn({ connection: "abc" }));
    expect(byConnection.searchParams.get("connection")).toBe("abc");

    const res = await fetch(url, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/\/_idp\/saml\/sso\?SAMLRequest=/);
    client.dispose();
  });
});

describe("handleCallback", () => {
  test("SAML sign-in end to end: the code is exchanged, the state has the role, the JWT verifies against the JWKS", async () => {
    const { client, calls } = await signedIn();
    const state = client.getState();
    expect(state.status).toBe("signedIn");
    if (state.status !== "signedIn") return;
    expect(state.claims).toMatchObject({ email: "ada@demo.example", group: "demo", role: "admin", auth_method: "saml", iss: gw.url });
    expect(calls.token).toEqual(["authorization_code"]);
    const token = await client.fetchAccessToken({ forceRefreshToken: false });
    const { payload } = await jwtVerify(token!, createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`)), { issuer: gw.url, audience: "convex" });
    expect(payload.role).toBe("admin");
    expect(calls.token).toEqual(["authorization_code"]); // fresh token: no refresh
  });

  test("a state that matches no pending sign-in is refused before any token request (and the code stays unspent)", async () => {
    const { client, calls } = makeClient();
    const url = await client.signIn({ email: "eve@demo.example" });
    const callback = new URL(await samlSignInOverHttp(url, { email: "eve@demo.example", groups: [] }));
    const goodState = callback.searchParams.get("state")!;
    callback.searchParams.set("state", "attacker-chosen");
    await expect(client.handleCallback(callback.toString())).rejects.toMatchObject({ code: "state_mismatch" });
    expect(calls.token).toEqual([]);
    expect(client.getState()).toMatchObject({ status: "signedOut", error: { code: "state_mismatch" } });
    // Another browser (no pending sign-in) replaying the genuine callback is refused the same way.
    const other = makeClient().client;
    callback.searchParams.set("state", goodState);
    await expect(other.handleCallback(callback.toString())).rejects.toBeInstanceOf(SsoError);
    await expect(other.handleCallback(callback.toString() + "&x=1")).rejects.toMatchObject({ code: "state_mismatch" });
    // The real tab still completes with the same code: nothing above spent it.
    await client.handleCallback(callback.toString());
    expect(client.getState().status).toBe("signedIn");
  });

  test("an iss that is not the issuer, or no iss, is refused before any token request (RFC 9207)", async () => {
    for (const tamper of [(u: URL) => u.searchParams.set("iss", "http://127.0.0.1:1"), (u: URL) => u.searchParams.delete("iss")]) {
      const { client, calls } = makeClient();
      const callback = new URL(await samlSignInOverHttp(await client.signIn({ email: "mix@demo.example" }), { email: "mix@demo.example", groups: [] }));
      expect(callback.searchParams.get("iss")).toBe(gw.url);
      tamper(callback);
      await expect(client.handleCallback(callback.toString())).rejects.toMatchObject({ code: "iss_mismatch" });
      expect(calls.token).toEqual([]);
      expect(client.getState().status).toBe("signedOut");
    }
  });

  test("an error sent back by the gateway (unknown email domain) becomes authorization_failed with its OAuth code", async () => {
    const { client, calls } = makeClient();
    const res = await fetch(await client.signIn({ email: "someone@nowhere.example" }), { redirect: "manual" });
    const callback = res.headers.get("location")!;
    expect(callback.startsWith(REDIRECT)).toBe(true);
    await expect(client.handleCallback(callback)).rejects.toMatchObject({ code: "authorization_failed", oauthError: "invalid_request" });
    expect(calls.token).toEqual([]);
  });
});

describe("fetchAccessToken and refresh", () => {
  test("forced: a rotated refresh token and a new JWT for the same session; an expiring token is refreshed unasked", async () => {
    let clock = Date.now();
    const storage = memoryStorage();
    const { client, calls } = await signedIn({ storage, now: () => clock });
    const first = await client.fetchAccessToken({ forceRefreshToken: false });
    const firstRefresh = storedRefreshToken(storage);
    clock += 1000; // a distinct iat
    const second = await client.fetchAccessToken({ forceRefreshToken: true });
    expect(second).toEqual(expect.any(String));
    expect(storedRefreshToken(storage)).not.toBe(firstRefresh);
    const sid = (t: string) => JSON.parse(atob(t.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).sid;
    expect(sid(second!)).toBe(sid(first!));
    expect(calls.token).toEqual(["authorization_code", "refresh_token"]);
    // Within the last minute of its life the stored token is refreshed before being handed out.
    clock += 3600_000 - 30_000;
    const secondRefresh = storedRefreshToken(storage);
    const third = await client.fetchAccessToken({ forceRefreshToken: false });
    expect(third).toEqual(expect.any(String));
    expect(storedRefreshToken(storage)).not.toBe(secondRefresh);
    expect(calls.token).toEqual(["authorization_code", "refresh_token", "refresh_token"]);
  });

  test("control: two raw refreshes of one token at once revoke the session here (no grace window)", async () => {
    const storage = memoryStorage();
    await signedIn({ storage });
    const token = storedRefreshToken(storage);
    const [a, b] = await Promise.all([refreshRaw(token), refreshRaw(token)]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    const winner = a.status === 200 ? a : b;
    expect((await refreshRaw(winner.body.refresh_token)).body.error).toBe("invalid_grant"); // session revoked
  });

  for (const [name, lockFor] of [
    ["a shared lock (Web Locks' role)", () => sharedMutex()],
    ["the storage-lease fallback", (storage: SsoStorage) => storageTabLock(storage, { now: Date.now, randomId: () => crypto.randomUUID(), settleMs: 20 })],
  ] as const) {
    test(`two tabs forcing a refresh at the same moment, with ${name}: one refresh request, both stay signed in`, async () => {
      const storage = memoryStorage();
      const lock = lockFor(storage);
      const tabA = await signedIn({ storage, lock });
      const tabB = makeClient({ storage, lock });
      const before = await tabB.client.fetchAccessToken({ forceRefreshToken: false });
      expect(before).toBe(await tabA.client.fetchAccessToken({ forceRefreshToken: false }));
      const generationBefore = storedRefreshToken(storage);
      const [a, b] = await Promise.all([tabA.client.fetchAccessToken({ forceRefreshToken: true }), tabB.client.fetchAccessToken({ forceRefreshToken: true })]);
      expect(a).toBeTruthy();
      expect(b).toBe(a);
      expect(storedRefreshToken(storage)).not.toBe(generationBefore);
      expect(tabA.calls.token.filter((g) => g === "refresh_token").length + tabB.calls.token.filter((g) => g === "refresh_token").length).toBe(1);
      // The session is alive: the next rotation works, and both tabs are still signed in.
      expect((await refreshRaw(storedRefreshToken(storage))).status).toBe(200);
      expect(tabA.client.getState().status).toBe("signedIn");
      expect(tabB.client.getState().status).toBe("signedIn");
    });
  }
});

describe("a tab whose copy of shared storage lags behind (as Chromium's localStorage can)", () => {
  /** Tab A writes through at once; tab B sees A's writes only `lagMs` later. */
  function laggingPair(lagMs: number): [SsoStorage, SsoStorage] {
    const truth = memoryStorage();
    const copy = memoryStorage();
    const a: SsoStorage = {
      getItem: (k) => truth.getItem(k),
      setItem: (k, v) => {
        truth.setItem(k, v);
        setTimeout(() => copy.setItem(k, v), lagMs);
      },
      removeItem: (k) => {
        truth.removeItem(k);
        setTimeout(() => copy.removeItem(k), lagMs);
      },
    };
    const b: SsoStorage = { getItem: (k) => copy.getItem(k), setItem: (k, v) => (truth.setItem(k, v), copy.setItem(k, v)), removeItem: (k) => (truth.removeItem(k), copy.removeItem(k)) };
    return [a, b];
  }

  test("B, granted the lock right after A rotated, waits for the announced generation instead of spending the old token", async () => {
    const [storageA, storageB] = laggingPair(150);
    let newest = 0;
    const lock: TabLock = { ...sharedMutex(), announce: async (_n, g) => void (newest = Math.max(newest, g)), announced: async () => newest };
    const tabA = await signedIn({ storage: storageA, lock });
    await new Promise((ok) => setTimeout(ok, 200)); // B's copy has the signed-in tokens
    const tabB = makeClient({ storage: storageB, lock });
    expect(tabB.client.getState().status).toBe("signedIn");
    await tabA.client.fetchAccessToken({ forceRefreshToken: false });
    await tabB.client.fetchAccessToken({ forceRefreshToken: false });
    const [a, b] = await Promise.all([tabA.client.fetchAccessToken({ forceRefreshToken: true }), tabB.client.fetchAccessToken({ forceRefreshToken: true })]);
    expect(a).toBeTruthy();
    expect(b).toBe(a);
    expect([...tabA.calls.token, ...tabB.calls.token].filter((g) => g === "refresh_token")).toHaveLength(1);
  });
});

describe("signOut", () => {
  test("revokes the session at the gateway: the refresh token then fails, and the other tab is signed out too", async () => {
    const storage = memoryStorage();
    const channelName = `sso-test-${crypto.randomUUID()}`;
    const tabA = await signedIn({ storage, channel: new BroadcastChannel(channelName) });
    const tabB = makeClient({ storage, channel: new BroadcastChannel(channelName) });
    expect(tabB.client.getState().status).toBe("signedIn");
    const seenByB = new Promise<string>((ok) => tabB.client.onChange((s) => ok(s.status)));
    const refreshToken = storedRefreshToken(storage);
    expect(await tabA.client.signOut()).toEqual({ revoked: true });
    expect(tabA.calls.revoke).toBe(1);
    expect(tabA.client.getState().status).toBe("signedOut");
    expect(await tabA.client.fetchAccessToken({ forceRefreshToken: false })).toBeNull();
    expect(await seenByB).toBe("signedOut");
    const after = await refreshRaw(refreshToken);
    expect(after).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    tabA.client.dispose();
    tabB.client.dispose();
  });

  test("a refresh refused by the gateway (session revoked elsewhere) signs the tab out with the OAuth error", async () => {
    const storage = memoryStorage();
    const { client } = await signedIn({ storage });
    await fetch(`${gw.url}/oauth/revoke`, { method: "POST", body: new URLSearchParams({ client_id: TEST_CLIENT_ID, token: storedRefreshToken(storage) }) });
    expect(await client.fetchAccessToken({ forceRefreshToken: true })).toBeNull();
    expect(client.getState()).toMatchObject({ status: "signedOut", error: { code: "token_request_failed", oauthError: "invalid_grant" } });
  });
});

describe("state and listeners", () => {
  test("handleCallback goes loading → signedIn, and two calls for one URL share one exchange (React StrictMode)", async () => {
    const { client, calls } = makeClient();
    const seen: string[] = [];
    client.onChange((s) => seen.push(s.status));
    const callback = await samlSignInOverHttp(await client.signIn({ email: "sm@demo.example" }), { email: "sm@demo.example", groups: [] });
    const [x, y] = await Promise.all([client.handleCallback(callback), client.handleCallback(callback)]);
    expect(x).toEqual(y);
    expect(calls.token).toEqual(["authorization_code"]);
    expect(seen).toEqual(["loading", "signedIn"]);
  });

  test("fetchAccessToken has the shape ConvexReactClient.setAuth takes", () => {
    const { client } = makeClient();
    expectTypeOf(client.fetchAccessToken).toExtend<AuthTokenFetcher>();
    expectTypeOf(client.fetchAccessToken).toExtend<Parameters<ConvexReactClient["setAuth"]>[0]>();
    expectTypeOf<ReturnType<typeof client.fetchAccessToken>>().toEqualTypeOf<Promise<string | null>>();
    client.dispose();
  });

  test("isCallback recognises only the redirect URI with a code or an error", () => {
    const { client }: { client: SsoClient } = makeClient();
    expect(client.isCallback(`${REDIRECT}?code=1&state=2`)).toBe(true);
    expect(client.isCallback(`${REDIRECT}?error=access_denied`)).toBe(true);
    expect(client.isCallback(REDIRECT)).toBe(false);
    expect(client.isCallback("http://127.0.0.1:9/other?code=1")).toBe(false);
  });
});
