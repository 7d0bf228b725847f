// The app side's reading of the environment: the one place that reads `process.env` for the gateway. The app's
// SsoGateway (./index.ts) turns it into the env every call into the component carries, and serves it to the
// component's env-less invocations (crons, scheduled jobs) through the app's env query (SsoGateway.envQuery).
// Component code never reads process.env: on a deployment it is not there (npm run check:runtime enforces it).
import type { GatewayEnv } from "../component/lib/env";

/** The env of this process: the app side of the gateway, scripts, the local gateway. */
export function envFromProcess(): GatewayEnv {
  const e = typeof process === "undefined" ? {} : process.env;
  const raw = e.GATEWAY_OPTIONS;
  const timeout = Number(e.GATEWAY_OIDC_TIMEOUT_MS ?? "");
  return {
    issuer: (e.GATEWAY_ISSUER ?? e.CONVEX_SITE_URL ?? "").replace(/\/+$/, ""),
    options: raw ? JSON.parse(raw) : {},
    encryptionKey: e.GATEWAY_ENCRYPTION_KEY || undefined,
    signingKeys: e.GATEWAY_SIGNING_KEYS || undefined,
    local: localGatewayProcess(e),
    dohUrl: e.GATEWAY_DOH_URL || undefined,
    ...(timeout > 0 ? { oidcTimeoutMs: timeout } : {}),
  };
}

/**
 * Set on globalThis by the local gateway (local/gateway.ts) and the test setup, in their own Node process. A
 * deployment's environment variables cannot create it: Convex runs our functions in its own isolates, where
 * only our bundled code could set it, and no bundled module does.
 */
export const LOCAL_GATEWAY_MARKER = Symbol.for("convex-sso-gateway/local-gateway-process");

let refusalLogged = false;

/**
 * True only inside the offline local gateway (`npm start`) and tests: GATEWAY_LOCAL=1 AND the in-process marker
 * AND not a hosted deployment (Convex sets CONVEX_CLOUD_URL=https://<name>.convex.cloud on every one).
 * GATEWAY_LOCAL alone (e.g. `npx convex env set GATEWAY_LOCAL 1`) is refused — the SSRF guard stays on and the
 * fixed dev encryption key is never used — and said so, loudly, in the logs.
 */
function localGatewayProcess(e: Record<string, string | undefined>): boolean {
  if (e.GATEWAY_LOCAL !== "1") return false;
  const marked = (globalThis as Record<symbol, unknown>)[LOCAL_GATEWAY_MARKER] === true;
  const hosted = /\.convex\.cloud\/?$/i.test(e.CONVEX_CLOUD_URL ?? "");
  if (marked && !hosted) return true;
  if (!refusalLogged) {
    refusalLogged = true; // once per isolate
    console.error("GATEWAY_LOCAL=1 is ignored: it only works inside the local gateway process (npm start), not on a deployment");
  }
  return false;
}
