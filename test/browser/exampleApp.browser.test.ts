// The example app (examples/react-app: Vite + React + Convex, the gateway embedded as a component) in real Chromium.
// Built with Vite against the package installed from the packed tarball (no aliases), served on its own origin,
// talking to the local engine serving the example's own convex/ (`--app`): sign-in goes through the app's
// http.ts routes, and the real ConvexReactClient runs the app's `projects.list` (guarded by requireGrant) over
// the sync protocol with the session JWT, verified from the app's auth.config.ts.
//   - OIDC (built-in OIDC IdP) as admin: role shown, the guarded list, a project added (the query updates), refresh,
//     sign-out (the signed-out token's session no longer reads the data).
//   - SAML (built-in SAML IdP) as member: reads the list, is refused `projects:write` in plain words.
//   - Two tabs refreshing at the same moment: one refresh request, both stay signed in and keep reading data.
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ConvexClient } from "convex/browser";
import { ConvexError } from "convex/values";
import { makeFunctionReference } from "convex/server";
import { WebSocket } from "ws";
import type { LocalGateway } from "../../local/gateway";
import { haveChromium } from "../e2e/browser";
import { artifactsDir } from "../e2e/artifacts";
import { startAppOriginHarness, type AppOriginHarness } from "./gatewaySeed";
import type { StaticServer } from "./staticServer";
import { atTheSameMoment, countRefreshes, signInAtOidcIdp, signInAtSamlIdp } from "./steps";

const EXAMPLE = fileURLToPath(new URL("../../examples/react-app/", import.meta.url));
const CLIENT_ID = "example-react-app";
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const TOKENS = `sso:${CLIENT_ID}:tokens`;

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

const stored = (page: Page) => page.evaluate((k) => JSON.parse(localStorage.getItem(k)!) as { accessToken: string; refreshToken: string }, TOKENS);
const projectNames = (page: Page) => page.locator("#project-list .project-name").allTextContents();

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return { context, page: await context.newPage() };
}

describe.skipIf(!haveChromium)("example app (examples/react-app, embedded mode) in Chromium", () => {
  beforeAll(async () => {
    harness = await startAppOriginHarness("gw-example-app-", { clientId: CLIENT_ID, appDir: EXAMPLE });
    ({ gw, site, browser } = harness);
    serveDir(await buildExample({ VITE_SSO_ISSUER: gw.url, VITE_SSO_CLIENT_ID: CLIENT_ID, VITE_CONVEX_URL: gw.url }));
  }, 60_000);
  afterAll(async () => harness?.close());

  test("OIDC admin: role shown, guarded list through Convex, a project added, refresh, sign-out ends data access", async () => {
    const connection = gw.buttons.find((b) => b.label === "Sign in with OIDC")?.authorizeQuery?.connection;
    expect(connection).toBeTruthy();
    const { context, page } = await newPage();
    await page.goto(site.url);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshots(page, "signin");

    // An email domain with no SSO: the gateway sends the user back with an error the page explains.
    await page.fill("#email", "someone@unknown.example");
    await page.getByRole("button", { name: "Sign in with SSO" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("No single sign-on is set up for this email domain.");
    expect(await page.inputValue("#email")).toBe("someone@unknown.example"); // kept for correction

    // An organisation's sign-in link names its connection: the built-in OIDC IdP.
    await page.goto(`${site.url}/?connection=${connection}`);
    await page.getByRole("button", { name: "Continue with SSO" }).click();
    await signInAtOidcIdp(page, { email: "grace@demo.example", groups: ["Admins"] });
    await page.locator("#role").waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.textContent("#email")).toBe("grace@demo.example");
    expect(await page.textContent("#group")).toBe("demo");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.textContent("#method")).toBe("OpenID Connect");

    // The guarded query ran with the JWT (an empty group so far), then a mutation; the list updates by itself.
    await page.locator("#no-projects").waitFor();
    await page.fill("#project-name", "Apollo");
    await page.getByRole("button", { name: "Add project" }).click();
    await expect.poll(() => projectNames(page), { timeout: 10_000 }).toEqual(["Apollo"]);
    expect(await page.locator("#project-list li").first().textContent()).toContain("added by grace@demo.example");
    await screenshots(page, "account-admin");

    const before = await stored(page);
    await page.getByRole("button", { name: "Refresh token" }).click();
    await expect.poll(() => page.textContent("#note")).toContain("Token refreshed");
    expect((await stored(page)).refreshToken).not.toBe(before.refreshToken);
    expect(await page.textContent("#role")).toBe("admin");
    expect(await projectNames(page)).toEqual(["Apollo"]);

    const { accessToken } = await stored(page);
    const revoked = page.waitForResponse((r) => r.url() === `${gw.url}/oauth/revoke`);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect((await revoked).status()).toBe(200);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.evaluate((k) => localStorage.getItem(k), TOKENS)).toBeNull();
    // The access token is still unexpired, but its session is gone: the guarded query refuses it (embedded mode).
    const probe = new ConvexClient(gw.url, { webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket, unsavedChangesWarning: false });
    probe.setAuth(async () => accessToken);
    const refused = await probe.query(makeFunctionReference<"query">("projects:list"), {}).catch((e: unknown) => e);
    await probe.close();
    expect(refused).toBeInstanceOf(ConvexError);
    expect((refused as ConvexError<{ kind: string }>).data.kind).toBe("SessionRevoked");
    await context.close();
  }, 60_000);

  test("SAML member: reads the group's projects, is refused projects:write in plain words", async () => {
    const { context, page } = await newPage();
    await page.goto(site.url);
    await page.fill("#email", "dorothy@demo.example");
    await page.getByRole("button", { name: "Sign in with SSO" }).click();
    await signInAtSamlIdp(page, { email: "dorothy@demo.example", name: "Dorothy Vaughan", groups: ["engineering"] });
    await page.locator("#role").waitFor();
    expect(await page.textContent("#who")).toBe("Dorothy Vaughan");
    expect(await page.textContent("#role")).toBe("member");
    expect(await page.textContent("#method")).toBe("SAML 2.0");
    await expect.poll(() => projectNames(page), { timeout: 10_000 }).toEqual(["Apollo"]); // the admin's, same group

    await page.fill("#project-name", "Gemini");
    await page.getByRole("button", { name: "Add project" }).click();
    await page.locator("#project-error").waitFor();
    expect(await page.textContent("#project-error")).toBe("Your role (member) can't add projects: that needs the “projects:write” permission. Ask an admin of your organisation.");
    expect(await projectNames(page)).toEqual(["Apollo"]); // nothing written
    await screenshots(page, "account-member-refused");
    await context.close();
  }, 60_000);

  test("two tabs refreshing at the same moment: one refresh request, both stay signed in and keep reading data", async () => {
    const { context, page: tab1 } = await newPage();
    const refreshes = countRefreshes(context);
    await tab1.goto(site.url);
    await tab1.fill("#email", "mary@demo.example");
    await tab1.getByRole("button", { name: "Sign in with SSO" }).click();
    await signInAtSamlIdp(tab1, { email: "mary@demo.example", groups: ["admins"] });
    await tab1.locator("#role").waitFor();
    const tab2 = await context.newPage();
    await tab2.goto(site.url);
    await tab2.locator("#role").waitFor(); // shared storage: signed in
    for (const tab of [tab1, tab2]) await expect.poll(() => projectNames(tab), { timeout: 10_000 }).toEqual(["Apollo"]);

    // Each tab's Convex client, once the server has confirmed the token it started with, fetches a fresh one
    // (ConvexReactClient's own refetch): one refresh per tab so far, never a spent token.
    await expect.poll(() => refreshes.length).toBe(2);

    await atTheSameMoment([tab1, tab2], () => document.getElementById("refresh")!.click());
    for (const tab of [tab1, tab2]) await expect.poll(() => tab.textContent("#note")).toContain("Token refreshed");
    expect(refreshes).toHaveLength(3); // one request for both clicks
    // Reuse detection has no grace window here: a second spend of the token would have revoked the session.
    await tab2.fill("#project-name", "Vostok");
    await tab2.getByRole("button", { name: "Add project" }).click();
    for (const tab of [tab1, tab2]) await expect.poll(() => projectNames(tab), { timeout: 10_000 }).toEqual(["Vostok", "Apollo"]);
    expect(await tab1.textContent("#role")).toBe("admin");
    await context.close();
  }, 60_000);
});
