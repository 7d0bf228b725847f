// Everything the gateway reads from its environment, in one place.
//
// A component sees no `process.env`: the app side (the SsoGateway class, src/gateway/) reads the issuer, the
// options, the encryption key and the signing keys (src/gateway/env.ts) and passes them down as the `env`
// argument of every call into the component. Invocations nobody calls with an env (crons, scheduled jobs) fetch
// it from the app through the app's env query (./functions.ts, ./settings.ts). Either way the function builders
// make the invocation's env current before its handler runs — every invocation sets it, none inherits the last
// one's — and the code below reads it through siteUrl(), gatewayOptions(), encryptionKey(), isLocalGateway().
// The app's HTTP actions (src/gateway/routes.ts) do the same with the env they pass down.
import { v, type Infer } from "convex/values";
import { parseGatewayOptions, type GatewayOptions } from "../../session/options";

export const gatewayEnvValidator = v.object({
  /** The issuer / public base URL (the app's site URL, plus the routes' path prefix). */
  issuer: v.string(),
  /** Raw gateway options (validated once per value by parseGatewayOptions). */
  options: v.optional(v.any()),
  /** 32 random bytes, base64url: seals OIDC client secrets and SP private keys at rest. */
  encryptionKey: v.optional(v.string()),
  /** GATEWAY_SIGNING_KEYS: the private JWKS (JSON) the token endpoint signs session JWTs with. */
  signingKeys: v.optional(v.string()),
  /** True only inside the offline local gateway (`npm start`) and tests (src/gateway/env.ts decides). */
  local: v.optional(v.boolean()),
  /** GATEWAY_DOH_URL: the DNS-over-HTTPS resolver the portal's domain verification asks (see dohResolverUrl). */
  dohUrl: v.optional(v.string()),
  /** GATEWAY_OIDC_TIMEOUT_MS: the timeout of the OIDC client's outbound calls (default 10 s). */
  oidcTimeoutMs: v.optional(v.number()),
  /**
   * Function handle of the app's env query (SsoGateway `envQuery`): recorded by the component (./settings.ts) so
   * that crons and scheduled jobs, which nobody calls with an env, can fetch it. Not a secret.
   */
  envHandle: v.optional(v.string()),
  /** Function handles of the app's callbacks (createFunctionHandle), called inside the component's transaction. */
  callbacks: v.optional(v.object({ afterUserCreatedOrUpdated: v.optional(v.string()) })),
});
export type GatewayEnv = Infer<typeof gatewayEnvValidator>;

/** What an invocation runs with when it has no env and the app's env query is not recorded yet: the defaults. */
export const DEFAULT_ENV: GatewayEnv = Object.freeze({ issuer: "" });

let current: GatewayEnv = DEFAULT_ENV;

/** Makes `env` the env of the invocation that is starting (every invocation calls it: nothing carries over). */
export function enterEnv(env: GatewayEnv) {
  current = env;
}

export function currentEnv(): GatewayEnv {
  return current;
}

/** The issuer / public base URL: the app's site URL (CONVEX_SITE_URL, or its `issuer` option) plus its routes' prefix. */
export function siteUrl(): string {
  const url = currentEnv().issuer;
  if (!url) throw new Error("the issuer is not known: CONVEX_SITE_URL is not set, or this job ran before the app's env query was recorded");
  return url.replace(/\/+$/, "");
}

/** True only inside the offline local gateway (`npm start`) and tests (the app side decides: src/gateway/env.ts). */
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
