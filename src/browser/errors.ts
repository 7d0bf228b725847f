// Errors of the browser client as typed values with a closed set of codes (tests assert the code).
export type SsoErrorCode =
  /** The callback's `state` matches no sign-in started from this browser (CSRF, or a stale/reused link). */
  | "state_mismatch"
  /** The callback's `iss` is missing or names another issuer (RFC 9207 mix-up defence). */
  | "iss_mismatch"
  /** The callback carries neither a code nor an error. */
  | "invalid_callback"
  /** The token endpoint refused the request (its RFC 6749 `error` is in `oauthError`). */
  | "token_request_failed"
  /** The gateway could not be reached or answered something that is not OAuth JSON. */
  | "network_error"
  /** The authorization server sent the user back with an RFC 6749 §4.1.2.1 error (in `oauthError`). */
  | "authorization_failed";

export class SsoError extends Error {
  override name = "SsoError";
  constructor(
    readonly code: SsoErrorCode,
    message: string,
    /** The RFC 6749 `error` value when the gateway sent one (e.g. `invalid_grant`, `access_denied`). */
    readonly oauthError?: string,
  ) {
    super(message);
  }
}
