// Typed OIDC failures: a closed set of codes (what tests and traces assert) plus private detail.
// The public text shown to a person is generic (STYLE.md §4); `detail` goes to the trace only and
// never contains a token, a code or a secret.

export const OIDC_ERROR_CODES = [
  "config_invalid", // connection config fails validation (write time) or is unreadable (read time)
  "discovery_failed", // issuer metadata could not be fetched or is not conform
  "fetch_refused", // SSRF guard: not https, private address, oversize response
  "idp_error", // the OP returned an error in the authorization response (access_denied, ...)
  "idp_timeout", // the OP did not answer in time
  "state_invalid", // unknown, expired or foreign state
  "state_used", // state already consumed (replay)
  "iss_mismatch", // RFC 9207 "iss" authorization response parameter differs from the issuer
  "response_invalid", // authorization response not conform (no code, ...)
  "token_endpoint_error", // token endpoint answered with an OAuth error or a 5xx
  "id_token_missing",
  "id_token_alg_not_allowed", // none, HS*, or an algorithm outside the allow-list
  "id_token_signature_invalid",
  "id_token_kid_unknown", // no key for "kid" even after re-fetching the JWKS
  "id_token_issuer_mismatch",
  "id_token_audience_mismatch",
  "id_token_azp_mismatch",
  "id_token_expired",
  "id_token_iat_invalid",
  "nonce_mismatch",
  "tenant_mismatch", // Entra ID: "tid" is not the connection's tenant
  "userinfo_failed",
  "claims_invalid", // no usable subject, ...
  "signin_failed", // completeSignIn refused (its own code goes in detail)
  "account_link_refused", // the address is a member's but this login may not link to it (README "Security model")
  "hosted_domain_mismatch", // Google Workspace: "hd" is not the configured hosted domain
  "groups_overage_unresolved", // Entra groups overage and Graph could not tell the groups (policy refuse)
] as const;

export type OidcErrorCode = (typeof OIDC_ERROR_CODES)[number];

export class OidcError extends Error {
  override readonly name = "OidcError";
  constructor(
    readonly code: OidcErrorCode,
    /** Private detail for the trace: names the field and the rule, never carries a token. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export function isOidcError(e: unknown): e is OidcError {
  return e instanceof OidcError;
}

/** Public wording per code family: what the person at the browser reads. */
export function publicMessage(code: OidcErrorCode): string {
  switch (code) {
    case "idp_error":
      return "Your identity provider did not complete the sign-in.";
    case "idp_timeout":
    case "discovery_failed":
    case "fetch_refused":
    case "token_endpoint_error":
    case "userinfo_failed":
      return "Your identity provider could not be reached. Please try again later.";
    case "state_invalid":
    case "state_used":
      return "This sign-in link has expired or was already used. Please start again from the application.";
    case "config_invalid":
      return "This single sign-on connection is not configured correctly. Please contact your administrator.";
    default:
      return "Authentication failed.";
  }
}
