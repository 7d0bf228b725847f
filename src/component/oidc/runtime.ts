// Adapter glue shared by the OIDC starter and callback: environment, guarded fetch, metadata cache, secrets.
import type { ActionCtx } from "../lib/functions";
import type { Doc, Id } from "../_generated/dataModel";
import { internal } from "../_generated/api";
import { errorPage } from "../lib/pages";
import { openSecret } from "../lib/crypto";
import { currentEnv, isLocalGateway, siteUrl } from "../lib/env";
import { parseOidcConfig, type OidcConfig } from "../../oidc/config";
import { DISCOVERY_TTL_MS, effectiveMetadata, explicitMetadata, fetchDiscovery, isFresh, type ServerMetadata } from "../../oidc/discovery";
import { OidcError, publicMessage, type OidcErrorCode } from "../../oidc/errors";
import { guardedFetch, type FetchLike } from "../../oidc/fetch";
import { clientConfiguration, type ClientSecrets, type RuntimeDeps } from "../../oidc/flow";
import type { Configuration } from "openid-client";

export function redirectUriFor(connectionId: Id<"connections">): string {
  return `${siteUrl()}/sso/oidc/${connectionId}/callback`;
}

/** The outbound fetch: SSRF guard on; http + loopback only inside the local gateway (GATEWAY_LOCAL=1). */
export function runtimeDeps(): RuntimeDeps {
  const allowPrivate = isLocalGateway();
  const timeoutMs = currentEnv().oidcTimeoutMs || 10_000;
  const fetch: FetchLike = guardedFetch({
    fetch: (url, init) => globalThis.fetch(url, init),
    allowPrivate,
    timeoutMs,
  });
  return { fetch, allowInsecureRequests: allowPrivate, timeoutMs };
}

/** A small bounded per-isolate map (oldest entry dropped first). */
export function remember<V>(map: Map<string, V>, key: string, value: V, max = 100): V {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// Parsed configs, per isolate, keyed by the exact stored JSON: an edited connection has a new key, so a stale
// parse is never used; a config that does not parse is never cached (it throws every time).
const parsedConfigs = new Map<string, OidcConfig>();

export function readConfig(connection: Doc<"connections">): OidcConfig {
  const key = JSON.stringify(connection.config) ?? "";
  return parsedConfigs.get(key) ?? remember(parsedConfigs, key, deepFreeze(parseOidcConfig(connection.config)));
}

// Discovery documents this isolate has read from the cache table or fetched, with the "fetchedAt" of that
// row (or of the fetch). Used only while that row would itself be fresh, so nothing older than the table's
// TTL allows is ever used; the callback then skips re-reading the row (see store.callbackContext).
const discoveryMemo = new Map<string, { metadata: ServerMetadata; fetchedAt: number }>();

/** The discovery document of `issuer` this isolate holds, when still within the TTL. */
export function rememberedDiscovery(issuer: string, now: number): { metadata: ServerMetadata; fetchedAt: number } | undefined {
  const m = discoveryMemo.get(issuer);
  return m && isFresh(m.fetchedAt, now, DISCOVERY_TTL_MS) ? m : undefined;
}

/** Discovery from the cache (TTL), else fetched and cached. Explicit endpoints skip discovery. */
export async function serverMetadata(
  ctx: ActionCtx,
  config: OidcConfig,
  deps: RuntimeDeps,
  cached?: { metadata: unknown; fetchedAt: number } | null,
): Promise<ServerMetadata> {
  const explicit = explicitMetadata(config);
  if (explicit) return effectiveMetadata(config, explicit);
  const row = cached === undefined ? await ctx.runQuery(internal.oidc.store.getDiscovery, { issuer: config.issuer }) : cached;
  if (row && isFresh(row.fetchedAt, Date.now(), DISCOVERY_TTL_MS)) {
    const metadata = row.metadata as ServerMetadata;
    remember(discoveryMemo, config.issuer, { metadata, fetchedAt: row.fetchedAt });
    return effectiveMetadata(config, metadata);
  }
  const fetchedAt = Date.now();
  const metadata = await fetchDiscovery(config, deps.fetch);
  await ctx.runMutation(internal.oidc.store.putDiscovery, { issuer: config.issuer, metadata });
  remember(discoveryMemo, config.issuer, { metadata, fetchedAt });
  return effectiveMetadata(config, metadata);
}

// Opened secrets are kept for the life of the isolate (bounded), keyed by their sealed form: a rotated
// secret has a new sealed value, so nothing stale is ever used.
const opened = new Map<string, Promise<string>>();
function openCached(sealed: string): Promise<string> {
  let p = opened.get(sealed);
  if (!p) {
    if (opened.size >= 100) opened.delete(opened.keys().next().value as string);
    p = openSecret(sealed);
    p.catch(() => opened.delete(sealed));
    opened.set(sealed, p);
  }
  return p;
}

// openid-client Configurations, per isolate: one per (parsed config, issuer metadata, outbound settings), built
// like clientConfiguration() builds it per request (and meant by openid-client to be reused). The key holds
// everything the Configuration is made of: the stored config (sealed secret or key included), the metadata and
// the guard's settings; the opened secret and the imported private_key_jwt key come from that config.
const configurations = new Map<string, Promise<Configuration>>();

export function configurationFor(config: OidcConfig, server: ServerMetadata, deps: RuntimeDeps): Promise<Configuration> {
  const key = JSON.stringify([config, server, deps.allowInsecureRequests === true, deps.timeoutMs ?? null]);
  let p = configurations.get(key);
  if (!p) {
    p = openSecrets(config).then((secrets) => clientConfiguration(config, server, secrets, deps));
    p.catch(() => configurations.delete(key));
    remember(configurations, key, p, 50);
  }
  return p;
}

export async function openSecrets(config: OidcConfig): Promise<ClientSecrets> {
  try {
    if (config.clientSecretSealed) return { clientSecret: await openCached(config.clientSecretSealed) };
    if (config.clientKey) return { clientPrivateJwk: JSON.parse(await openCached(config.clientKey.privateJwkSealed)) };
  } catch {
    throw new OidcError("config_invalid", "the sealed client secret could not be opened (encryption key changed?)");
  }
  return {};
}

const UPSTREAM: ReadonlySet<OidcErrorCode> = new Set(["idp_timeout", "token_endpoint_error", "discovery_failed", "userinfo_failed", "fetch_refused"]);

/** Trace row + user-facing page. The only write on a failed login. */
export async function failure(
  ctx: ActionCtx,
  opts: { connection?: Doc<"connections">; code: string; detail: string; publicCode?: OidcErrorCode; failedSubject?: string },
): Promise<Response> {
  let ref: string | undefined;
  try {
    ref = await ctx.runMutation(internal.traces.record, {
      protocol: "oidc",
      connectionId: opts.connection?._id,
      groupId: opts.connection?.groupId,
      code: opts.code,
      detail: opts.detail,
      ...(opts.failedSubject !== undefined ? { failedSubject: opts.failedSubject } : {}),
    });
  } catch {
    ref = undefined; // the page still renders
  }
  const pc = (opts.publicCode ?? opts.code) as OidcErrorCode;
  return errorPage({
    title: "Sign-in failed",
    message: publicMessage(pc),
    ref,
    status: UPSTREAM.has(pc) ? 502 : 400,
  });
}

export function asOidcError(e: unknown): OidcError {
  if (e instanceof OidcError) return e;
  return new OidcError("response_invalid", `unexpected ${(e as Error)?.name ?? "error"}`);
}
