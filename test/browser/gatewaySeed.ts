// A local-gateway seed for the browser-client tests: the demo config plus a test app whose redirect URI is on
// another origin (the test's static page server), and refresh-token reuse made fatal at once
// (reuseGraceMs 0), so a client that let two tabs spend the same refresh token would see its session revoked.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalGatewayOptions } from "../../local/gateway";

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
