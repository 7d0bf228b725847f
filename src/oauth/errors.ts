// RFC 6749 §5.2 errors as typed values carrying their wire code and status (node-oidc-provider style).
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type"
  | "temporarily_unavailable"
  | "server_error";

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  unsupported_token_type: 400,
  temporarily_unavailable: 429, // rate limited (RFC 6585 §4); the body keeps the RFC 6749 §5.2 shape
  server_error: 500,
};

export class OAuthError extends Error {
  override name = "OAuthError";
  readonly status: number;
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.status = STATUS[error];
  }
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** The plain-object form that crosses a Convex function boundary. */
export interface OAuthErrorValue {
  error: OAuthErrorCode;
  error_description: string;
}
