// Browser steps shared by the Chromium tests of the client (client.browser.test.ts) and of the example app
// (exampleApp.browser.test.ts): the built-in IdPs' sign-in pages, refresh counting, and firing the same call in
// several tabs on the same wall-clock instant.
import type { BrowserContext, Page } from "playwright-core";

/** On the built-in SAML IdP's page (local/samlIdp.ts): who signs in, with which IdP groups. */
export async function signInAtSamlIdp(page: Page, user: { email: string; name?: string; groups?: string[] }) {
  await page.waitForURL(/\/_idp\/saml\/sso\?SAMLRequest=/);
  await page.fill("#email", user.email);
  if (user.name) await page.fill("#name", user.name);
  for (const group of user.groups ?? []) await page.check(`input[name="groups"][value="${group}"]`);
  await page.click("#signin");
}

/** On the built-in OIDC IdP's interaction page (local/oidcIdp.ts). */
export async function signInAtOidcIdp(page: Page, user: { email: string; groups?: string[] }) {
  await page.waitForURL(/\/_idp\/oidc\/interaction\//);
  await page.fill('input[name="email"]', user.email);
  for (const group of user.groups ?? []) await page.check(`input[name="groups"][value="${group}"]`);
  await page.click("#sign-in");
}

/** Every refresh_token grant the browser context sends to the gateway. */
export function countRefreshes(context: BrowserContext) {
  const seen: string[] = [];
  context.on("request", (req) => {
    if (req.url().endsWith("/oauth/token") && req.method() === "POST" && new URLSearchParams(req.postData() ?? "").get("grant_type") === "refresh_token") seen.push(req.url());
  });
  return seen;
}

/**
 * Runs `fn` (self-contained: it is sent to the pages as source) in every page at the same wall-clock millisecond,
 * a little after now, and returns what each call resolved to.
 */
export async function atTheSameMoment<T>(pages: Page[], fn: () => T | Promise<T>): Promise<Awaited<T>[]> {
  await Promise.all(pages.map((p) => p.evaluate(() => new Promise((ok) => requestAnimationFrame(ok)))));
  const at = Math.ceil(Date.now() / 200) * 200 + 400;
  return Promise.all(pages.map((p) => p.evaluate(`new Promise((ok) => setTimeout(() => ok((${fn.toString()})()), ${at} - Date.now()))`) as Promise<Awaited<T>>));
}
