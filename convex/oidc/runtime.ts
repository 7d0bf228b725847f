// Adapter glue shared by the OIDC starter and callback: environment, guarded fetch, metadata cache, secrets.
import type { ActionCtx } from "../_generated/server";
import type { Doc, Id } from "../_generated/dataModel";
import { internal } from "../_generated/api";
import { errorPage } from "../lib/pages";
import { openSecret } from "../lib/crypto";
import { isLocalGateway, siteUrl } from "../lib/env";
import { parseOidcConfig, type OidcConfig } from "../../src/oidc/config";
import { DISCOVERY_TTL_MS, effectiveMetadata, explicitMetadata, fetchDiscovery, isFresh, type ServerMetadata } from "../../src/oidc/discovery";
import { OidcError, publicMessage, type OidcErrorCode } from "../../src/oidc/errors";
import { guardedFetch, type FetchLike } from "../../src/oidc/fetch";
import type { ClientSecrets, RuntimeDeps } from "../../src/oidc/flow";

export function redirectUriFor(connectionId: Id<"connections">): string {
  return `${siteUrl()}/sso/oidc/${connectionId}/callback`;
}

/** The outbound fetch: SSRF guard on; http + loopback only inside the local gateway (GATEWAY_LOCAL=1). */
export function runtimeDeps(): RuntimeDeps {
  const allowPrivate = isLocalGateway();
  const timeoutMs = Number(process.env.GATEWAY_OIDC_TIMEOUT_MS ?? "") || 10_000;
  const fetch: FetchLike = guardedFetch({
    fetch: (url, init) => globalThis.fetch(url, init),
    allowPrivate,
    timeoutMs,
  });
  return { fetch, allowInsecureRequests: allowPrivate, timeoutMs };
}

export function readConfig(connection: Doc<"connections">): OidcConfig {
  return parseOidcConfig(connection.config);
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
    return effectiveMetadata(config, row.metadata as ServerMetadata);
  }
  const metadata = await fetchDiscovery(config, deps.fetch);
  await ctx.runMutation(internal.oidc.store.putDiscovery, { issuer: config.issuer, metadata });
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
  opts: { connection?: Doc<"connections">; code: string; detail: string; publicCode?: OidcErrorCode },
): Promise<Response> {
  let ref: string | undefined;
  try {
    ref = await ctx.runMutation(internal.traces.record, {
      protocol: "oidc",
      connectionId: opts.connection?._id,
      groupId: opts.connection?.groupId,
      code: opts.code,
      detail: opts.detail,
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
