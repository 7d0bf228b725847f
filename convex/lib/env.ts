// Everything the gateway reads from the deployment's environment, in one place.
import { parseGatewayOptions, type GatewayOptions } from "../../src/session/options";

/** The issuer / public base URL: Convex sets CONVEX_SITE_URL on every deployment. */
export function siteUrl(): string {
  const url = process.env.GATEWAY_ISSUER ?? process.env.CONVEX_SITE_URL;
  if (!url) throw new Error("CONVEX_SITE_URL is not set");
  return url.replace(/\/+$/, "");
}

/**
 * Set on globalThis by the local gateway (local/gateway.ts) and the test setup, in their own Node process. A
 * deployment's environment variables cannot create it: Convex runs our functions in its own isolates, where
 * only our bundled code could set it, and no bundled module does.
 */
export const LOCAL_GATEWAY_MARKER = Symbol.for("convex-sso-gateway/local-gateway-process");

/** Convex sets CONVEX_CLOUD_URL on every hosted deployment (https://<name>.convex.cloud). */
function hostedConvexDeployment(): boolean {
  return /\.convex\.cloud\/?$/i.test(process.env.CONVEX_CLOUD_URL ?? "");
}

let refusalLogged = false;

/**
 * True only inside the offline local gateway (`npm start`) and tests: GATEWAY_LOCAL=1 AND the in-process marker
 * AND not a hosted deployment. GATEWAY_LOCAL alone (e.g. `npx convex env set GATEWAY_LOCAL 1`) is refused —
 * the SSRF guard stays on and the fixed dev encryption key is never used — and said so, loudly, in the logs.
 */
export function isLocalGateway(): boolean {
  if (process.env.GATEWAY_LOCAL !== "1") return false;
  const marked = (globalThis as Record<symbol, unknown>)[LOCAL_GATEWAY_MARKER] === true;
  if (marked && !hostedConvexDeployment()) return true;
  if (!refusalLogged) {
    refusalLogged = true; // once per isolate
    console.error("GATEWAY_LOCAL=1 is ignored: it only works inside the local gateway process (npm start), not on a deployment");
  }
  return false;
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

/**
 * GATEWAY_DOH_URL: the DNS-over-HTTPS resolver (JSON API, application/dns-json) the portal asks for TXT records
 * when verifying a domain. Default: Cloudflare's public resolver.
 */
export function dohResolverUrl(): string {
  return process.env.GATEWAY_DOH_URL ?? "https://cloudflare-dns.com/dns-query";
}
