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

/**
 * The seed, with `redirectUris` registered for `clientId`: the test app (TEST_CLIENT_ID, added) or an app of the
 * demo config (e.g. example-react-app, whose URIs are extended). `appDir`: the gateway serves that app (--app).
 */
export function browserClientGatewayOptions(prefix: string, redirectUris: string[], opts: { clientId?: string; appDir?: string } = {}): LocalGatewayOptions {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  config.options = { ...config.options, refreshToken: { reuseGraceMs: 0 } };
  const clientId = opts.clientId ?? TEST_CLIENT_ID;
  const existing = (config.apps as Array<{ clientId: string; redirectUris: string[] }>).find((a) => a.clientId === clientId);
  if (existing) existing.redirectUris = [...existing.redirectUris, ...redirectUris];
  else config.apps = [...config.apps, { clientId, name: "Browser client test", redirectUris, audience: "convex" }];
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  return { port: 0, dataDir: join(dir, "data"), configPath, quiet: true, appDir: opts.appDir };
}

export interface AppOriginHarness {
  /** The app's own origin (static pages), registered as `${site.url}/callback` for TEST_CLIENT_ID. */
  site: StaticServer;
  gw: LocalGateway;
  browser: Browser;
  redirectUri: string;
  close(): Promise<void>;
}

/** Static app origin + local gateway that knows it + Chromium, for the browser tests of the client and the example. */
export async function startAppOriginHarness(prefix: string, opts: { clientId?: string; appDir?: string } = {}): Promise<AppOriginHarness> {
  const site = await startStaticServer();
  const redirectUri = `${site.url}/callback`;
  const gw = await startLocalGateway(browserClientGatewayOptions(prefix, [redirectUri], opts));
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
