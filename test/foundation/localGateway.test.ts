// Over real HTTP against the running local gateway: the dev sign-in, the code exchange, and a verification of
// the minted token done the way Convex does it (discovery at {iss}/.well-known/openid-configuration, keys from
// its jwks_uri, RS256 only, iss == the configured domain, aud a single string == applicationID, sub/iat/exp
// present, kid/alg/typ in the header). Then a restart keeps the state, and SIGTERM stops the process cleanly.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { devSignInOverHttp } from "./localHttp";

const dataDir = mkdtempSync(join(tmpdir(), "gw-local-"));
let gw: LocalGateway;

beforeAll(async () => {
  gw = await startLocalGateway({ port: 0, dataDir, quiet: true });
});
afterAll(async () => gw?.close());

/** Convex's rules for an OIDC / customJwt provider, with `domain` and `applicationID` from auth.config.ts. */
async function verifyLikeConvex(jwt: string, provider: { domain: string; applicationID: string }) {
  const header = decodeProtectedHeader(jwt);
  expect(header.alg).toBe("RS256");
  expect(header.kid).toEqual(expect.any(String));
  expect(header.typ).toBe("JWT");
  const unverified = decodeJwt(jwt);
  expect(unverified.iss).toBe(provider.domain); // provider lookup is by exact issuer
  const discovery = await (await fetch(`${unverified.iss}/.well-known/openid-configuration`)).json();
  expect(discovery.issuer).toBe(provider.domain);
  const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: provider.domain,
    audience: provider.applicationID,
    algorithms: ["RS256"],
  });
  expect(typeof payload.aud).toBe("string");
  expect(payload.sub).toEqual(expect.any(String));
  expect(payload.iat).toEqual(expect.any(Number));
  expect(payload.exp).toEqual(expect.any(Number));
  return payload;
}

describe("local gateway over real HTTP", () => {
  test("dev sign-in yields a JWT that passes Convex's verification rules", async () => {
    const tokens = await devSignInOverHttp(gw.url);
    const claims = await verifyLikeConvex(tokens.access_token, { domain: gw.url, applicationID: "demo-app" });
    expect(claims).toMatchObject({ group: "demo", role: "admin", auth_method: "dev", email: "grace@demo.example", name: "Grace Hopper" });
    // A token for another audience or issuer is refused by the same rules.
    await expect(jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`)), { audience: "other-app", algorithms: ["RS256"] })).rejects.toThrow(/aud/);
    await expect(jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`)), { algorithms: ["ES256"] })).rejects.toThrow();
  });

  test("the demo app page and the SPA's CORS preflight are served", async () => {
    const page = await fetch(`${gw.url}/demo`);
    expect(await page.text()).toContain("Sign in (dev)");
    const pre = await fetch(`${gw.url}/oauth/token`, { method: "OPTIONS", headers: { origin: gw.url, "access-control-request-method": "POST" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(gw.url);
  });

  test("state survives a restart: the refresh token still works and ids are unchanged", async () => {
    const tokens = await devSignInOverHttp(gw.url, "linus@demo.example");
    const before = decodeJwt(tokens.access_token);
    const port = Number(new URL(gw.url).port);
    await gw.close();
    gw = await startLocalGateway({ port, dataDir, quiet: true });
    const res = await fetch(`${gw.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: "demo-app", refresh_token: tokens.refresh_token }),
    });
    expect(res.status).toBe(200);
    const after = decodeJwt((await res.json()).access_token);
    expect(after.sub).toBe(before.sub);
    expect(after.sid).toBe(before.sid);
    expect(after.group_id).toBe(before.group_id);
  });
});

describe("npm start process", () => {
  test("prints its URLs and stops cleanly on SIGTERM, saving state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-proc-"));
    const child = spawn(process.execPath, ["--import", "tsx", "local/gateway.ts", "--port", "0", "--data", dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no banner: ${out}`)), 30_000);
      child.stdout.on("data", () => {
        const m = /Local gateway on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
    });
    expect(out).toContain("/demo");
    expect((await fetch(`${url}/.well-known/jwks.json`)).status).toBe(200);
    const code = await new Promise<number | null>((ok) => {
      child.on("exit", (c) => ok(c));
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
    expect(existsSync(join(dir, "state.json"))).toBe(true);
  }, 60_000);
});
