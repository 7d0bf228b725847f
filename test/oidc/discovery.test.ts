// Discovery cache (TTL) and the starter's failure modes, through /sso/authorize.
import { afterEach, describe, expect, it } from "vitest";
import { authorize, fakeCallback, fakeLogin, setupWithFakeOp, type FakeHarness, type OpHarness } from "./harness";
import { APP, pkcePair } from "../helpers";
import { DISCOVERY_TTL_MS } from "../../src/oidc/discovery";

let h: FakeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  process.env.GATEWAY_LOCAL = "1";
});

const discoveryHits = (x: FakeHarness) => x.op.net.hits.filter((p) => p === "/fake/.well-known/openid-configuration").length;

async function startRaw(x: FakeHarness): Promise<Response> {
  const { challenge } = await pkcePair();
  const q = new URLSearchParams({
    client_id: APP.clientId,
    redirect_uri: APP.redirectUri,
    response_type: "code",
    state: "s",
    code_challenge: challenge,
    code_challenge_method: "S256",
    connection: x.connectionId,
  });
  return x.t.fetch(`/sso/authorize?${q}`);
}

describe("discovery cache", () => {
  it("fetches discovery once and reuses it within the TTL, re-fetches after", async () => {
    h = await setupWithFakeOp();
    await authorize({ t: h.t, connectionId: h.connectionId } as OpHarness);
    await authorize({ t: h.t, connectionId: h.connectionId } as OpHarness);
    expect(discoveryHits(h)).toBe(1);
    await h.t.run(async (ctx) => {
      const row = (await ctx.db.query("oidcDiscovery").unique())!;
      await ctx.db.patch(row._id, { fetchedAt: Date.now() - DISCOVERY_TTL_MS - 1 });
    });
    await authorize({ t: h.t, connectionId: h.connectionId } as OpHarness);
    expect(discoveryHits(h)).toBe(2);
  });

  it("the authorization URL carries PKCE S256, state, nonce, scopes and the configured extra params", async () => {
    h = await setupWithFakeOp({ config: { authorizationParams: { prompt: "login", domain_hint: "acme.example" }, scopes: ["openid", "email"] } });
    const url = await authorize({ t: h.t, connectionId: h.connectionId } as OpHarness, { login_hint: "ada@acme.example" });
    expect(url.origin + url.pathname).toBe(`${h.op.issuer}/auth`);
    const p = url.searchParams;
    expect(p.get("code_challenge_method")).toBe("S256");
    expect(p.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get("state")!.length).toBeGreaterThanOrEqual(22);
    expect(p.get("nonce")!.length).toBeGreaterThanOrEqual(22);
    expect(p.get("scope")).toBe("openid email");
    expect(p.get("prompt")).toBe("login");
    expect(p.get("domain_hint")).toBe("acme.example");
    expect(p.get("login_hint")).toBe("ada@acme.example");
    expect(p.get("client_id")).toBe("gateway-rp");
    expect(p.get("redirect_uri")).toBe(`https://gw.example.test/sso/oidc/${h.connectionId}/callback`);
    const row = await h.t.run(async (ctx) => ctx.db.query("oidcStates").unique());
    expect(row).toMatchObject({ state: p.get("state"), nonce: p.get("nonce") });
    expect(row!.expiresAt - row!.createdAt).toBe(10 * 60 * 1000);
  });

  it("a discovery failure at the start is an error page (502) with a trace, not a 500", async () => {
    h = await setupWithFakeOp();
    h.op.net.overrides.push((req, res) => {
      if (!req.url?.includes("openid-configuration")) return false;
      res.writeHead(500).end("boom");
      return true;
    });
    const res = await startRaw(h);
    expect(res.status).toBe(502);
    const traces = await h.t.run(async (ctx) => ctx.db.query("ssoTraces").collect());
    expect(traces.map((t) => t.code)).toEqual(["discovery_failed"]);
    expect(await res.text()).toContain(traces[0]!.ref);
    expect(await h.t.run(async (ctx) => ctx.db.query("oidcStates").collect())).toHaveLength(0);
  });

  it("outside the local gateway, an issuer on 127.0.0.1 is refused by the SSRF guard", async () => {
    h = await setupWithFakeOp();
    process.env.GATEWAY_LOCAL = "0";
    const res = await startRaw(h);
    expect(res.status).toBe(502);
    const traces = await h.t.run(async (ctx) => ctx.db.query("ssoTraces").collect());
    expect(traces.map((t) => t.code)).toEqual(["fetch_refused"]);
    expect(discoveryHits(h)).toBe(0);
  });

  it("explicit endpoints skip discovery (and the sign-in still works)", async () => {
    h = await setupWithFakeOp({
      config: (op) => ({
        endpoints: { authorization_endpoint: `${op.issuer}/auth`, token_endpoint: `${op.issuer}/token`, jwks_uri: `${op.issuer}/jwks`, userinfo_endpoint: `${op.issuer}/me` },
      }),
    });
    const res = await fakeCallback(h, await fakeLogin(h));
    expect(res.status).toBe(302);
    expect(discoveryHits(h)).toBe(0);
    expect(h.op.net.hits).toEqual(expect.arrayContaining(["/fake/token", "/fake/jwks", "/fake/me"]));
  });
});
