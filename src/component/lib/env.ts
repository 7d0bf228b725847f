// Everything the gateway reads from the deployment's environment, in one place.
import { parseGatewayOptions, type GatewayOptions } from "../../src/session/options";

/** The issuer / public base URL: Convex sets CONVEX_SITE_URL on every deployment. */
export function siteUrl(): string {
  const url = process.env.GATEWAY_ISSUER ?? process.env.CONVEX_SITE_URL;
  if (!url) throw new Error("CONVEX_SITE_URL is not set");
  return url.replace(/\/+$/, "");
}

/** True only inside the offline local gateway (`npm start`), which sets it for its own process. */
export function isLocalGateway(): boolean {
  return process.env.GATEWAY_LOCAL === "1";
}

let optionsCache: { raw: string | undefined; value: GatewayOptions } | undefined;

/** GATEWAY_OPTIONS: JSON such as {"jwt":{"durationMs":3600000},"session":{"totalDurationMs":...}}. */
export function gatewayOptions(): GatewayOptions {
  const raw = process.env.GATEWAY_OPTIONS;
  if (!optionsCache || optionsCache.raw !== raw) {
    optionsCache = { raw, value: parseGatewayOptions(raw ? JSON.parse(raw) : {}) };
  }
  return optionsCache.value;
}

// Only for the local gateway and tests: a fixed key so that sealed secrets survive restarts there.
const LOCAL_DEV_ENCRYPTION_KEY = "bG9jYWwtZ2F0ZXdheS1kZXYta2V5LW5vdC1zZWNyZXQ";

export function encryptionKey(): string {
  const key = process.env.GATEWAY_ENCRYPTION_KEY;
  if (key) return key;
  if (isLocalGateway()) return LOCAL_DEV_ENCRYPTION_KEY;
  throw new Error("GATEWAY_ENCRYPTION_KEY is not set (32 random bytes, base64url; `npm run keys` prints one)");
}
