// The example app (examples/react-app: Vite + React + ConvexProviderWithSso) in real Chromium, built offline with
// Vite for the local gateway's URL and served from its own origin: email-first "Sign in with SSO" → the
// built-in SAML IdP → the account page shows user, group and role; the Convex client is handed the session JWT
// (its WebSocket's Authenticate message, captured: no Convex backend runs here); refresh; sign-out revokes.
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { LocalGateway } from "../../local/gateway";
import { haveChromium } from "../e2e/browser";
import { artifactsDir } from "../e2e/artifacts";
import { startAppOriginHarness, TEST_CLIENT_ID as CLIENT_ID, type AppOriginHarness } from "./gatewaySeed";
import type { StaticServer } from "./staticServer";

const EXAMPLE = fileURLToPath(new URL("../../examples/react-app/", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

let harness: AppOriginHarness;
let gw: LocalGateway;
let site: StaticServer;
let browser: Browser;
const shots = artifactsDir("example-app");

async function buildExample(env: Record<string, string>): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "example-app-dist-"));
  Object.assign(process.env, env); // Vite reads VITE_* from the environment at build time
  const { build } = await import("vite");
  await build({ root: EXAMPLE, configFile: join(EXAMPLE, "vite.config.ts"), logLevel: "silent", build: { outDir, emptyOutDir: true } });
  return outDir;
}

function serveDir(dir: string) {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  for (const file of walk(dir)) {
    site.files.set(`/${relative(dir, file)}`, { body: readFileSync(file), type: TYPES[extname(file)] ?? "application/octet-stream" });
  }
}

async function screenshots(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe.skipIf(!haveChromium)("example app (examples/react-app) in Chromium", () => {
  beforeAll(async () => {
    harness = await startAppOriginHarness("gw-example-app-");
    ({ gw, site, browser } = harness);
    // The Convex URL points at the static server: the test captures the WebSocket in the browser instead.
    serveDir(await buildExample({ VITE_SSO_ISSUER: gw.url, VITE_SSO_CLIENT_ID: CLIENT_ID, VITE_CONVEX_URL: site.url }));
  }, 60_000);
  afterAll(async () => harness?.close());

  test("email-first SSO sign-in via SAML, user/group/role shown, Convex gets the JWT, refresh, sign-out revokes", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const convexMessages: Array<{ type: string; value?: string }> = [];
    await context.routeWebSocket(/\/api\/[^/]+\/sync$/, (ws) => {
      ws.onMessage((m) => void convexMessages.push(JSON.parse(String(m))));
    });
    const page = await context.newPage();
    await page.goto(site.url);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshots(page, "signin");

    // An email domain with no SSO: the gateway sends the user back with an error the page explains.
    await page.fill("#email", "someone@unknown.example");
    await page.getByRole("button", { name: "Sign in with SSO" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("No single sign-on is set up for this email domain.");
    expect(await page.inputValue("#email")).toBe("someone@unknown.example"); // kept for correction
    await screenshots(page, "signin-error");

    await page.fill("#email", "dorothy@demo.example");
    await page.getByRole("button", { name: "Sign in with SSO" }).click();
    await page.waitForURL(/\/_idp\/saml\/sso\?SAMLRequest=/);
    await page.fill("#email", "dorothy@demo.example");
    await page.fill("#name", "Dorothy Vaughan");
    await page.check('input[name="groups"][value="admins"]');
    await page.click("#signin");
    await page.locator("#role").waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.textContent("#who")).toBe("Dorothy Vaughan");
    expect(await page.textContent("#email")).toBe("dorothy@demo.example");
    expect(await page.textContent("#group")).toBe("demo");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.textContent("#method")).toBe("SAML 2.0");

    // ConvexProviderWithSso handed the session JWT to the Convex client (setAuth → Authenticate message).
    const stored = () => page.evaluate((k) => JSON.parse(localStorage.getItem(k)!) as { accessToken: string; refreshToken: string }, `sso:${CLIENT_ID}:tokens`);
    await expect.poll(() => convexMessages.find((m) => m.type === "Authenticate")?.value, { timeout: 10_000 }).toBe((await stored()).accessToken);
    await screenshots(page, "account");

    const before = await stored();
    await page.getByRole("button", { name: "Refresh token" }).click();
    await expect.poll(() => page.textContent("#note")).toContain("Token refreshed");
    const after = await stored();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await page.textContent("#role")).toBe("admin");

    const revoked = page.waitForResponse((r) => r.url() === `${gw.url}/oauth/revoke`);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect((await revoked).status()).toBe(200);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.evaluate((k) => localStorage.getItem(k), `sso:${CLIENT_ID}:tokens`)).toBeNull();
    const res = await fetch(`${gw.url}/oauth/token`, { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: after.refreshToken }) });
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    await context.close();
  }, 60_000);
});
