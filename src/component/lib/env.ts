// Everything the gateway reads from its environment, in one place.
//
// A component sees no `process.env`: the app side (the SsoGateway class, see src/gateway/) reads the issuer, the
// options and the encryption key and passes them down as the `env` argument of every call into the component.
// The component's function builders (./functions.ts) make that value current for the invocation; code below
// reads it through siteUrl(), gatewayOptions(), encryptionKey(), isLocalGateway(). Outside a component call (the
// app's own HTTP actions, scripts) the value is read from process.env.
import { v, type Infer } from "convex/values";
import { parseGatewayOptions, type GatewayOptions } from "../../session/options";

export const gatewayEnvValidator = v.object({
  /** The issuer / public base URL (the app's site URL, plus the routes' path prefix). */
  issuer: v.string(),
  /** Raw gateway options (validated once per value by parseGatewayOptions). */
  options: v.optional(v.any()),
  /** 32 random bytes, base64url: seals OIDC client secrets and SP private keys at rest. */
  encryptionKey: v.optional(v.string()),
  /** True only inside the offline local gateway (`npm start`) and tests (see localGatewayProcess). */
  local: v.optional(v.boolean()),
  /** GATEWAY_DOH_URL: the DNS-over-HTTPS resolver the portal's domain verification asks (see dohResolverUrl). */
  dohUrl: v.optional(v.string()),
  /** Function handles of the app's callbacks (createFunctionHandle), called inside the component's transaction. */
  callbacks: v.optional(v.object({ afterUserCreatedOrUpdated: v.optional(v.string()) })),
});
export type GatewayEnv = Infer<typeof gatewayEnvValidator>;

let current: GatewayEnv | undefined;

/** Makes the env passed by the app current for this invocation (a component function's builder calls it). */
export function enterEnv(env: GatewayEnv | undefined) {
  if (env) current = env;
}

/** The env of a standalone process (the app side of the gateway, scripts, the local gateway). */
export function envFromProcess(): GatewayEnv {
  const e = typeof process === "undefined" ? {} : process.env;
  const raw = e.GATEWAY_OPTIONS;
  return {
    issuer: (e.GATEWAY_ISSUER ?? e.CONVEX_SITE_URL ?? "").replace(/\/+$/, ""),
    options: raw ? JSON.parse(raw) : {},
    encryptionKey: e.GATEWAY_ENCRYPTION_KEY || undefined,
    local: localGatewayProcess(e),
    dohUrl: e.GATEWAY_DOH_URL || undefined,
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

export function currentEnv(): GatewayEnv {
  return current ?? envFromProcess();
}

/** The issuer / public base URL: Convex sets CONVEX_SITE_URL on every deployment. */
export function siteUrl(): string {
  const url = currentEnv().issuer;
  if (!url) throw new Error("CONVEX_SITE_URL is not set");
  return url.replace(/\/+$/, "");
}

/** True only inside the offline local gateway (`npm start`) and tests (the app side decides: envFromProcess). */
export function isLocalGateway(): boolean {
  return currentEnv().local === true;
}

let optionsCache: { raw: unknown; value: GatewayOptions } | undefined;

/** Options such as {"jwt":{"durationMs":3600000},"session":{"totalDurationMs":...}} (GATEWAY_OPTIONS standalone). */
export function gatewayOptions(): GatewayOptions {
  const raw = currentEnv().options ?? {};
  if (!optionsCache || optionsCache.raw !== raw) {
    const key = JSON.stringify(raw);
    if (!optionsCache || JSON.stringify(optionsCache.raw) !== key) optionsCache = { raw, value: parseGatewayOptions(raw) };
    else optionsCache = { raw, value: optionsCache.value };
  }
  return optionsCache.value;
}

// Only for the local gateway and tests: a fixed key so that sealed secrets survive restarts there.
const LOCAL_DEV_ENCRYPTION_KEY = "bG9jYWwtZ2F0ZXdheS1kZXYta2V5LW5vdC1zZWNyZXQ";

export function encryptionKey(): string {
  const key = currentEnv().encryptionKey;
  if (key) return key;
  if (isLocalGateway()) return LOCAL_DEV_ENCRYPTION_KEY;
  throw new Error("GATEWAY_ENCRYPTION_KEY is not set (32 random bytes, base64url; `npm run keys` prints one)");
}

/**
 * GATEWAY_DOH_URL: the DNS-over-HTTPS resolver (JSON API, application/dns-json) the portal asks for TXT records
 * when verifying a domain. Default: Cloudflare's public resolver.
 */
export function dohResolverUrl(): string {
  return currentEnv().dohUrl ?? "https://cloudflare-dns.com/dns-query";
}
