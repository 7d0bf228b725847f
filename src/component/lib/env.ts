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
  /** True only inside the offline local gateway (`npm start`). */
  local: v.optional(v.boolean()),
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
    local: e.GATEWAY_LOCAL === "1",
  };
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

/** True only inside the offline local gateway (`npm start`), which sets it for its own process. */
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
