// The browser client in real Chromium: a page bundled from src/browser, served on its own origin (a registered
// redirect URI of a test app in the local gateway), signs in through the built-in SAML IdP and the built-in
// OIDC IdP and reads the role from the token; then two tabs force a refresh at the same moment and both stay
// signed in, with one refresh request between them (Web Locks), under reuse detection with no grace window.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { LocalGateway } from "../../local/gateway";
import { haveChromium } from "../e2e/browser";
import { startAppOriginHarness, TEST_CLIENT_ID, type AppOriginHarness } from "./gatewaySeed";
import { serveTestPage } from "./page/build";
import { atTheSameMoment, countRefreshes, signInAtOidcIdp, signInAtSamlIdp } from "./steps";
import type { StaticServer } from "./staticServer";

let harness: AppOriginHarness;
let gw: LocalGateway;
let site: StaticServer;
let browser: Browser;

const roleInToken = (page: Page) =>
  page.evaluate(async () => {
    const token = await window.sso.fetchAccessToken({ forceRefreshToken: false });
    const payload = JSON.parse(atob(token!.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return { role: payload.role as string, method: payload.auth_method as string, iss: payload.iss as string };
  });

describe.skipIf(!haveChromium)("browser client in Chromium", () => {
  beforeAll(async () => {
    harness = await startAppOriginHarness("gw-client-browser-");
    ({ gw, site, browser } = harness);
    await serveTestPage(site, { issuer: gw.url, clientId: TEST_CLIENT_ID, redirectUri: harness.redirectUri });
  }, 60_000);
  afterAll(async () => harness?.close());

  test("SAML: email-first sign-in → built-in SAML IdP → back on the app's origin, signed in as admin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(site.url);
    expect(await page.textContent("#status")).toBe("signedOut");
    await page.evaluate(() => void window.sso.signIn({ email: "dorothy@demo.example" }));
    await signInAtSamlIdp(page, { email: "dorothy@demo.example", groups: ["admins"] });
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "signedIn");
    expect(new URL(page.url()).search).toBe(""); // the code is gone from the address bar
    expect(await page.textContent("#role")).toBe("admin");
    expect(await roleInToken(page)).toEqual({ role: "admin", method: "saml", iss: gw.url });
    await context.close();
  }, 60_000);

  test("OIDC: sign-in by connection → built-in OIDC IdP → signed in, role from the IdP's groups", async () => {
    const connection = gw.buttons.find((b) => b.label === "Sign in with OIDC")?.authorizeQuery?.connection;
    expect(connection).toBeTruthy();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(site.url);
    await page.evaluate((c) => void window.sso.signIn({ connection: c }), connection!);
    await signInAtOidcIdp(page, { email: "grace@demo.example", groups: ["Admins"] });
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "signedIn");
    expect(await page.textContent("#email")).toBe("grace@demo.example");
    expect(await roleInToken(page)).toEqual({ role: "admin", method: "oidc", iss: gw.url });
    await context.close();
  }, 60_000);

  test("two tabs forcing a refresh at the same moment: one refresh request, both stay signed in", async () => {
    const context = await browser.newContext();
    const refreshes = countRefreshes(context);
    const tab1 = await context.newPage();
    await tab1.goto(site.url);
    await tab1.evaluate(() => void window.sso.signIn({ email: "mary@demo.example" }));
    await signInAtSamlIdp(tab1, { email: "mary@demo.example" });
    await tab1.waitForFunction(() => document.getElementById("status")?.textContent === "signedIn");
    const tab2 = await context.newPage();
    await tab2.goto(site.url);
    expect(await tab2.textContent("#status")).toBe("signedIn"); // shared storage
    expect(await tab2.evaluate(() => typeof navigator.locks?.request)).toBe("function"); // the Web Locks path

    // Both tabs hand out the current token, then both are told (as Convex does) to force a refresh at once.
    const current = await Promise.all([tab1, tab2].map((t) => t.evaluate(() => window.sso.fetchAccessToken({ forceRefreshToken: false }))));
    expect(current[0]).toBe(current[1]);
    const forced = await atTheSameMoment([tab1, tab2], () => window.sso.fetchAccessToken({ forceRefreshToken: true }));
    expect(forced[0]).toBeTruthy();
    expect(forced[1]).toBe(forced[0]);
    expect(refreshes).toHaveLength(1);

    // More rounds back to back: a tab granted the lock right after the other one rotated must not read the
    // spent token from its (asynchronously updated) copy of localStorage. One refresh per round, never null.
    for (let round = 0; round < 30; round++) {
      const tokens = await Promise.all([tab1, tab2].map((t) => t.evaluate(() => window.sso.fetchAccessToken({ forceRefreshToken: true }))));
      expect(tokens[0], `round ${round}`).toBeTruthy();
      expect(tokens[1], `round ${round}`).toBe(tokens[0]);
    }
    expect(refreshes).toHaveLength(31);
    // Still signed in everywhere, and the session is alive: another forced refresh in tab 2 works.
    expect(await tab1.textContent("#status")).toBe("signedIn");
    expect(await tab2.textContent("#status")).toBe("signedIn");
    const again = await tab2.evaluate(() => window.sso.fetchAccessToken({ forceRefreshToken: true }));
    expect(again).toBeTruthy();
    expect(refreshes).toHaveLength(32);
    await tab1.waitForFunction(() => document.getElementById("status")?.textContent === "signedIn");

    // Sign-out in one tab reaches the other one.
    await tab1.evaluate(() => window.sso.signOut());
    await tab2.waitForFunction(() => document.getElementById("status")?.textContent === "signedOut");
    await context.close();
  }, 60_000);
});
