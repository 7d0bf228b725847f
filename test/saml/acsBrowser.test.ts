// Browser end-to-end in real Chromium: demo app → "Sign in with SAML" → /sso/authorize → test IdP login form
// (type a user, tick groups) → auto-POST to the ACS → demo app shows the signed-in user, group and role.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { samlLocalGatewayOptions } from "./localConfig";
import { haveChromium, launchChromium } from "../e2e/browser";
import { artifactsDir } from "../e2e/artifacts";

let gw: LocalGateway;
let browser: Browser;

describe.skipIf(!haveChromium)("SAML in a real browser (Chromium)", () => {
  beforeAll(async () => {
      gw = await startLocalGateway(samlLocalGatewayOptions("gw-saml-e2e-"));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  test("demo app → test SAML IdP → ACS → signed in with group and role", async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/demo`);
    await page.getByRole("button", { name: "Sign in with SAML" }).click();
    await page.waitForURL(/\/_idp\/saml\/sso\?SAMLRequest=/);
    await page.fill("#email", "dorothy@demo.example");
    await page.fill("#name", "Dorothy Vaughan");
    await page.check('input[name="groups"][value="admins"]');
    await page.click("#signin");
    await page.waitForSelector("#session:not([hidden])", { timeout: 20_000 });
    expect(await page.textContent("#who")).toContain("dorothy@demo.example");
    expect(await page.textContent("#group")).toContain("demo");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.textContent("#method")).toBe("saml");
    await page.screenshot({ path: join(artifactsDir("e2e"), "saml-signin.png") });
    await page.close();
  }, 60_000);

  test("a tampered response in the browser ends on the error page with a reference, not in the app", async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/demo`);
    await page.getByRole("button", { name: "Sign in with SAML" }).click();
    await page.waitForURL(/\/_idp\/saml\/sso/);
    await page.fill("#email", "mallory@demo.example");
    // Intercept the auto-POST to the ACS and flip one character of the signed Response.
    await page.route("**/sso/saml/*/acs", async (route) => {
      const body = new URLSearchParams(route.request().postData() ?? "");
      const xml = Buffer.from(body.get("SAMLResponse")!, "base64").toString().replace("mallory@", "admin@");
      body.set("SAMLResponse", Buffer.from(xml).toString("base64"));
      await route.continue({ postData: body.toString() });
    });
    await page.click("#signin");
    await page.waitForSelector("#ref", { timeout: 20_000 });
    expect(await page.textContent("h1")).toContain("Sign-in failed");
    expect(await page.content()).not.toContain("admin@demo.example");
    await page.close();
  }, 60_000);
});
