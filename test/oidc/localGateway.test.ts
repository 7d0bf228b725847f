// "Tried as a new user would": the local gateway with the built-in OIDC IdP plug-in. Over real HTTP, then in
// real Chromium: demo app → Sign in with OIDC → the test IdP's login page (email, name, groups) → back to the
// demo app, which shows the JWT with group and role.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import type { Browser as Chromium } from "playwright-core";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { localPlugins } from "../../local/plugins";
import { oidcLocalPlugin } from "../../local/oidcIdp";
import { pkceS256, randomToken } from "../../src/session/encoding";
import { haveChromium, launchChromium } from "../e2e/browser";
import { artifactsDir } from "../e2e/artifacts";
import { Browser } from "./harness";

let gw: LocalGateway;
let dir: string;
let configPath: string;

beforeAll(async () => {
  if (!localPlugins.includes(oidcLocalPlugin)) localPlugins.push(oidcLocalPlugin);
  dir = mkdtempSync(join(tmpdir(), "gw-oidc-"));
  const demo = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  demo.oidc = [{ group: "demo", name: "Built-in OIDC IdP", roleRules: [{ value: "Admins", role: "admin" }] }];
  configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(demo));
  gw = await startLocalGateway({ port: 0, dataDir: dir, configPath, quiet: true });
}, 60_000);
afterAll(async () => gw?.close());


/** A person signs in through the built-in IdP over real HTTP; returns the session JWT's claims. */
async function oidcLoginOverHttp(authorizeQuery: Record<string, string>) {
    const verifier = randomToken(32);
    const redirectUri = `${gw.url}/demo/callback`;
    const q = new URLSearchParams({
      client_id: "demo-app",
      redirect_uri: redirectUri,
      response_type: "code",
      state: "s1",
      code_challenge: await pkceS256(verifier),
      code_challenge_method: "S256",
      ...authorizeQuery,
    });
    const b = new Browser();
    let res = await b.get(`${gw.url}/sso/authorize?${q}`);
    expect(res.status).toBe(302);
    let loc = new URL(res.headers.get("location")!, gw.url);
    expect(loc.pathname).toBe("/_idp/oidc/auth");
    res = await b.get(loc.href);
    loc = new URL(res.headers.get("location")!, gw.url);
    const page = await b.get(loc.href);
    expect(await page.text()).toContain("Test OIDC identity provider");
    res = await b.get(`${loc.href}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=ada%40demo.example&name=Ada+Lovelace&groups=Admins&groups=Engineering",
    });
    for (let i = 0; i < 6 && res.status >= 300 && res.status < 400; i++) {
      loc = new URL(res.headers.get("location")!, gw.url);
      if (loc.pathname === "/demo/callback") break;
      res = await b.get(loc.href);
    }
    expect(loc.pathname, await res.clone().text()).toBe("/demo/callback");
    expect(loc.searchParams.get("state")).toBe("s1");
    const token = await fetch(`${gw.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: "demo-app", code: loc.searchParams.get("code")!, redirect_uri: redirectUri, code_verifier: verifier }),
    });
    expect(token.status).toBe(200);
    const claims = decodeJwt(((await token.json()) as { access_token: string }).access_token);
  return claims;
}

describe("local gateway with the built-in OIDC IdP", () => {
  test("offers Sign in with OIDC; a login over HTTP yields a JWT with group, role and auth_method oidc", async () => {
    const button = gw.buttons.find((b) => b.label === "Sign in with OIDC");
    expect(button?.authorizeQuery?.connection).toEqual(expect.any(String));
    expect(await (await fetch(`${gw.url}/demo`)).text()).toContain("Sign in with OIDC");

    const claims = await oidcLoginOverHttp(button!.authorizeQuery!);
    expect(claims).toMatchObject({ group: "demo", role: "admin", auth_method: "oidc", email: "ada@demo.example", name: "Ada Lovelace" });
  });
});

let chromium: Chromium;
describe("restart", () => {
  test("after a restart (new IdP keys, restored state) the same connection signs in again; no duplicate connection", async () => {
    const before = gw.buttons.find((b) => b.label === "Sign in with OIDC")!.authorizeQuery!;
    const port = Number(new URL(gw.url).port);
    await gw.close();
    gw = await startLocalGateway({ port, dataDir: dir, configPath, quiet: true });
    const after = gw.buttons.find((b) => b.label === "Sign in with OIDC")!.authorizeQuery!;
    expect(after.connection).toBe(before.connection);
    const claims = await oidcLoginOverHttp(after);
    expect(claims).toMatchObject({ group: "demo", role: "admin", auth_method: "oidc" });
    const oidcConnections = await gw.engine.run(async (ctx) => (await ctx.db.query("connections").collect()).filter((c) => c.kind === "oidc"));
    expect(oidcConnections).toHaveLength(1);
  });
});

describe.skipIf(!haveChromium)("browser end-to-end (Chromium): Sign in with OIDC", () => {
  beforeAll(async () => {
    chromium = await launchChromium();
  }, 60_000);
  afterAll(async () => chromium?.close());

  test("demo app → test OIDC IdP login page → the demo app shows user, group and role", async () => {
    const page = await chromium.newPage();
    await page.goto(`${gw.url}/demo`);
    await page.getByRole("button", { name: "Sign in with OIDC" }).click();
    await page.waitForURL(/\/_idp\/oidc\/interaction\//);
    await page.fill('input[name="email"]', "grace@demo.example");
    await page.fill('input[name="name"]', "Grace Hopper");
    await page.check('input[name="groups"][value="Admins"]');
    await page.click("#sign-in");
    await page.waitForSelector("#session:not([hidden])");
    expect(await page.textContent("#who")).toContain("grace@demo.example");
    expect(await page.textContent("#group")).toContain("demo");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.textContent("#method")).toBe("oidc");
    await page.screenshot({ path: join(artifactsDir("e2e"), "oidc-signin.png") });

    await page.close();

    // Deny at the IdP (a fresh browser context: no IdP session): the gateway's error page with a reference.
    const context = await chromium.newContext();
    const other = await context.newPage();
    await other.goto(`${gw.url}/demo`);
    await other.getByRole("button", { name: "Sign in with OIDC" }).click();
    await other.waitForURL(/\/_idp\/oidc\/interaction\//);
    await other.click("#deny");
    await other.waitForSelector("#ref");
    expect(await other.textContent("h1")).toBe("Sign-in failed");
    await context.close();
  }, 60_000);
});
