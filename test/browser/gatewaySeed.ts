// A local-gateway seed for the browser-client tests: the demo config plus a test app whose redirect URI is on
// another origin (the test's static page server), and refresh-token reuse made fatal at once
// (reuseGraceMs 0), so a client that let two tabs spend the same refresh token would see its session revoked.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from "../../local/gateway";
import { launchChromium } from "../e2e/browser";
import { startStaticServer, type StaticServer } from "./staticServer";

export const TEST_CLIENT_ID = "browser-client-test";

export function browserClientGatewayOptions(prefix: string, redirectUris: string[]): LocalGatewayOptions {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  config.options = { ...config.options, refreshToken: { reuseGraceMs: 0 } };
  config.apps = [...config.apps, { clientId: TEST_CLIENT_ID, name: "Browser client test", redirectUris, audience: "convex" }];
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  return { port: 0, dataDir: join(dir, "data"), configPath, quiet: true };
}

export interface AppOriginHarness {
  /** The app's own origin (static pages), registered as `${site.url}/callback` for TEST_CLIENT_ID. */
  site: StaticServer;
  gw: LocalGateway;
  browser: Browser;
  redirectUri: string;
  close(): Promise<void>;
}

/** Static app origin + local gateway that knows it + Chromium, for the browser tests of the client. */
export async function startAppOriginHarness(prefix: string): Promise<AppOriginHarness> {
  const site = await startStaticServer();
  const redirectUri = `${site.url}/callback`;
  const gw = await startLocalGateway(browserClientGatewayOptions(prefix, [redirectUri]));
  const browser = await launchChromium();
  return {
    site,
    gw,
    browser,
    redirectUri,
    async close() {
      await browser.close();
      await gw.close();
      await site.close();
    },
  };
}
