// Issuer metadata: discovery (OpenID Connect Discovery 1.0 §4) or explicit endpoints, the cache TTL rules,
// and the Entra ID multi-tenant issuer template.
import { ENTRA_TENANT_PLACEHOLDER, type OidcConfig } from "./config";
import { OidcError } from "./errors";
import type { FetchLike } from "./fetch";

/** The subset of RFC 8414 / Discovery metadata the gateway uses; unknown members are kept. */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [k: string]: unknown;
}

export const DISCOVERY_TTL_MS = 60 * 60 * 1000;
export const JWKS_TTL_MS = 60 * 60 * 1000;

export function isFresh(fetchedAt: number, now: number, ttlMs: number): boolean {
  return now - fetchedAt >= 0 && now - fetchedAt < ttlMs;
}

export function discoveryUrl(issuer: string): string {
  // §4.1: issuer + "/.well-known/openid-configuration" (path-appended, trailing slash removed).
  return issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration";
}

function isUrl(s: unknown): s is string {
  if (typeof s !== "string") return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** Entra "https://login.microsoftonline.com/{tenantid}/v2.0" has the template placeholder. */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes(ENTRA_TENANT_PLACEHOLDER);
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** Check a discovery document against the configured issuer (§4.3: the issuer MUST be identical). */
export function validateDiscovery(config: Pick<OidcConfig, "issuer" | "preset">, doc: unknown): ServerMetadata {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new OidcError("discovery_failed", "discovery document is not a JSON object");
  }
  const m = doc as Record<string, unknown>;
  for (const k of ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    if (!isUrl(m[k]) && !(k === "issuer" && typeof m[k] === "string")) {
      throw new OidcError("discovery_failed", `discovery "${k}" is missing or not a URL`);
    }
  }
  if (m.userinfo_endpoint !== undefined && !isUrl(m.userinfo_endpoint)) {
    throw new OidcError("discovery_failed", 'discovery "userinfo_endpoint" is not a URL');
  }
  const issuer = m.issuer as string;
  const expected = config.issuer.replace(/\/+$/, "");
  const exact = issuer.replace(/\/+$/, "") === expected;
  const template =
    config.preset === "entra" && isIssuerTemplate(issuer) && sameOrigin(issuer.replace(ENTRA_TENANT_PLACEHOLDER, "t"), expected);
  if (!exact && !template) {
    throw new OidcError("discovery_failed", `discovery "issuer" ${issuer} does not match the configured issuer ${expected}`);
  }
  return m as ServerMetadata;
}

/** Fetch and validate the discovery document (through the guarded fetch). */
export async function fetchDiscovery(
  config: Pick<OidcConfig, "issuer" | "preset">,
  fetch: FetchLike,
): Promise<ServerMetadata> {
  const res = await fetch(discoveryUrl(config.issuer), { method: "GET", headers: { accept: "application/json" } });
  if (res.status !== 200) throw new OidcError("discovery_failed", `discovery answered HTTP ${res.status}`);
  let doc: unknown;
  try {
    doc = await res.json();
  } catch {
    throw new OidcError("discovery_failed", "discovery document is not JSON");
  }
  return validateDiscovery(config, doc);
}

/** Metadata from explicit endpoints (no discovery). */
export function explicitMetadata(config: OidcConfig): ServerMetadata | undefined {
  if (!config.endpoints) return undefined;
  return { issuer: config.issuer, ...config.endpoints };
}

/**
 * The metadata used for one login: the Entra template issuer is resolved to the connection's tenant, so that
 * the ID token's "iss" is compared exactly (and "tid" is checked separately, see claims.ts).
 */
export function effectiveMetadata(config: OidcConfig, m: ServerMetadata): ServerMetadata {
  if (!isIssuerTemplate(m.issuer)) return m;
  if (!config.tenantId) throw new OidcError("config_invalid", '"tenantId" is required for a multi-tenant issuer');
  return { ...m, issuer: m.issuer.replace(ENTRA_TENANT_PLACEHOLDER, config.tenantId.toLowerCase()) };
}
