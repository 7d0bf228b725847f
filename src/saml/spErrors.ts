import { SAML_ERROR_CODES } from "./errors";

// Codes for failures on the SP side of a SAML login that are not response-validation failures
// (those are SamlErrorCode in errors.ts). Together they are the closed set a trace row carries.
export const SAML_SP_ERROR_CODES = [
  "connection_unknown", // no SAML connection with that id
  "connection_disabled",
  "form_invalid", // not a urlencoded POST, SAMLResponse missing, repeated, or over the cap
  "relay_state_invalid", // longer than 80 bytes, or names a request of another connection
  "in_response_to_mismatch", // InResponseTo names no pending request of this connection
  "request_used", // the AuthnRequest was already answered (single use)
  "request_expired",
  "replayed_assertion",
  "unsolicited_response", // IdP-initiated login is off for this connection
  "idp_initiated_no_app", // IdP-initiated is on but no login-initiation URL is configured
  "subject_missing", // the mapped subject attribute is absent
  "sp_key_unavailable", // an SP private key cannot be opened (wrong GATEWAY_ENCRYPTION_KEY)
  "signin_failed", // complete-sign-in refused (membership inactive, request mismatch…): detail says which
  "account_link_refused", // the address is a member's but this login may not link to it (README "Security model")
  "slo_unsigned",
  "slo_bad_signature",
  "slo_malformed",
  "slo_issuer_mismatch",
  "slo_destination_mismatch",
  "slo_disabled",
  "internal_error",
] as const;

export type SamlSpErrorCode = (typeof SAML_SP_ERROR_CODES)[number];

/** User-facing wording per code family. Never includes input, assertion text or detail. */
export function publicMessage(code: string): { title: string; message: string } {
  switch (code) {
    case "connection_unknown":
    case "connection_disabled":
      return { title: "Single sign-on is not available", message: "This sign-in connection does not exist or is turned off." };
    case "request_used":
    case "request_expired":
    case "in_response_to_mismatch":
    case "relay_state_invalid":
      return { title: "Sign-in expired", message: "This sign-in was already completed or took too long. Go back to the application and sign in again." };
    case "replayed_assertion":
      return { title: "Sign-in refused", message: "This sign-in response was already used. Go back to the application and sign in again." };
    case "signin_failed":
    case "account_link_refused":
      return { title: "Sign-in refused", message: "Your account cannot sign in to this organisation right now. Contact your administrator." };
    case "unsolicited_response":
    case "idp_initiated_no_app":
      return { title: "Sign-in refused", message: "Sign-in must be started from the application, not from the identity provider." };
    default:
      return { title: "Sign-in failed", message: "Your identity provider's response could not be accepted." };
  }
}


const ALL_CODES: ReadonlySet<string> = new Set<string>([...SAML_ERROR_CODES, ...SAML_SP_ERROR_CODES]);

/** The closed set a SAML trace row may carry: validation codes (errors.ts) and SP codes (above). */
export function isSamlTraceCode(code: string): boolean {
  return ALL_CODES.has(code);
}

/** Anything outside the closed set becomes internal_error (the original stays in the private detail). */
export function closedTraceCode(code: string): string {
  return ALL_CODES.has(code) ? code : "internal_error";
}
