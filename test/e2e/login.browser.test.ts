// The login flow once in a real browser: demo app → sign-in → the app's callback exchanges the code →
// the page shows the signed-in user, group and role from the JWT; then refresh and sign-out.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { haveChromium, launchChromium } from "./browser";
import { artifactsDir } from "./artifacts";

let gw: LocalGateway;
let browser: Browser;

describe.skipIf(!haveChromium)("browser end-to-end (Chromium)", () => {
  beforeAll(async () => {
    gw = await startLocalGateway({ port: 0, dataDir: mkdtempSync(join(tmpdir(), "gw-e2e-")), quiet: true });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  test("dev sign-in: the demo app shows the user, group and role, refreshes and signs out", async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/demo`);
    await page.getByRole("button", { name: "Sign in (dev)" }).click();
    await page.waitForURL(/\/_dev\/signin/);
    await page.fill("#email", "katherine@demo.example");
    await page.fill("#name", "Katherine Johnson");
    await page.selectOption("#role", "admin");
    await page.click("#submit");
    await page.waitForSelector("#session:not([hidden])");
    expect(await page.textContent("#status")).toContain("Signed in.");
    expect(await page.textContent("#who")).toContain("katherine@demo.example");
    expect(await page.textContent("#group")).toContain("demo");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.textContent("#method")).toBe("dev");
    const claims = JSON.parse((await page.textContent("#claims"))!);
    expect(claims.iss).toBe(gw.url);
    await page.screenshot({ path: join(artifactsDir("e2e"), "dev-signin.png") });

    const before = await page.textContent("#claims");
    await page.getByRole("button", { name: "Refresh token" }).click();
    await page.waitForFunction(() => document.getElementById("status")?.textContent?.includes("Refreshed"));
    expect(JSON.parse((await page.textContent("#claims"))!).sid).toBe(claims.sid);
    expect(before).toBeTruthy();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForFunction(() => document.getElementById("status")?.textContent?.includes("Signed out"));
    await page.close();
  }, 60_000);
});
