// SAML response-validation errors: a closed set of wire codes (STYLE.md §3).
// Pure module (no node:*), importable from the default Convex runtime: the ACS HTTP action maps a
// `code` to a trace row and a generic error page; `detail` is private (trace only, never shown to the
// browser) and never contains the raw assertion, a certificate or a key.

export const SAML_ERROR_CODES = [
  // envelope / parsing
  "malformed_response", // not base64, not well-formed XML, not a samlp:Response, wrong Version, missing ID
  "response_too_large", // over the byte cap, checked before decoding or parsing
  "dtd_forbidden", // any DOCTYPE / ENTITY / DTD declaration (XXE, billion laughs), refused before parsing
  "duplicate_id", // two elements carry the same ID/Id/id value (signature-wrapping precondition)
  // signatures
  "signature_missing", // nothing signed at all (signature exclusion)
  "signature_invalid", // a signature is present but does not verify with any trusted certificate
  "untrusted_certificate", // the signature's embedded KeyInfo certificate is not one of the trusted IdP certificates
  "weak_algorithm", // SHA-1 signature or digest while the connection has not opted in (allowSha1)
  "unsupported_algorithm", // not on the allow-list (HMAC, c14n WithComments, RSA 1.5 key transport, unknown URIs)
  "assertion_count", // not exactly one Assertion/EncryptedAssertion, or an assertion anywhere but directly under Response
  "assertion_unsigned", // the assertion carries no valid signature of its own and response-only signing is not allowed
  // message semantics
  "issuer_mismatch",
  "audience_mismatch",
  "destination_mismatch",
  "recipient_mismatch",
  "in_response_to_mismatch",
  "unsolicited_response", // no InResponseTo while IdP-initiated login is not enabled for the connection
  "expired",
  "not_yet_valid",
  "replayed_assertion", // assertion ID already consumed (enforced by the SP's mutation, listed here for one code set)
  "status_not_success",
  "decryption_failed",
  "subject_missing", // no NameID (or an EncryptedID/BaseID we do not accept)
  "subject_confirmation_missing", // no bearer SubjectConfirmation with SubjectConfirmationData
  // our side
  "invalid_configuration", // the expected values (certificates, keys, URLs) are unusable
  "internal_error", // anything unexpected: never leaks the cause to the browser
] as const;

export type SamlErrorCode = (typeof SAML_ERROR_CODES)[number];

export function isSamlErrorCode(value: unknown): value is SamlErrorCode {
  return typeof value === "string" && (SAML_ERROR_CODES as readonly string[]).includes(value);
}

export class SamlError extends Error {
  readonly code: SamlErrorCode;
  /** Private detail for the trace row. Names the field and the rule; never echoes raw XML or secrets. */
  readonly detail: string;
  constructor(code: SamlErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = "SamlError";
    this.code = code;
    this.detail = detail;
  }
}
