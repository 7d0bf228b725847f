// Small HTTP helpers shared by the protocol adapters.
import { OAuthError, type OAuthErrorValue } from "../../oauth/errors";
import { BodyTooLargeError, readBodyCapped as readBytesCapped } from "../../shared/body";

export const MAX_FORM_BYTES = 16 * 1024;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** RFC 6749 §5.2 error body; `no-store` as §5.1 asks of every token response. */
/** 429 in the RFC 6749 §5.2 error shape, with Retry-After (RFC 6585 §4). */
export function oauthTooManyRequests(retryAfterSec: number, headers: Record<string, string> = {}): Response {
  return oauthErrorResponse(new OAuthError("temporarily_unavailable", `too many requests; retry after ${retryAfterSec} s`), {
    "retry-after": String(retryAfterSec),
    ...headers,
  });
}

export function oauthErrorResponse(err: OAuthError | OAuthErrorValue, headers: Record<string, string> = {}): Response {
  const e = err instanceof OAuthError ? err : new OAuthError(err.error, err.error_description);
  const extra: Record<string, string> =
    e.status === 401 ? { "www-authenticate": 'Basic realm="oauth", error="invalid_client"' } : {};
  return json(e.toJSON(), e.status, { "cache-control": "no-store", pragma: "no-cache", ...extra, ...headers });
}

/** Bearer credentials (RFC 6750 §2.1); the scheme is case-insensitive. Shared by SCIM and the events API. */
export function bearerToken(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  const m = h ? /^\s*bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(h) : null;
  return m?.[1];
}

/** Read a body with a size cap, without trusting Content-Length. Returns null when over the cap. */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string | null> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readBytesCapped(request, maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) return null;
    throw e;
  }
  return bytes === null ? "" : new TextDecoder().decode(bytes);
}

/**
 * Parse an application/x-www-form-urlencoded body (RFC 6749 §3.2 requires it for the token endpoint).
 * Parameters must not repeat (§3.1).
 */
export async function readForm(request: Request): Promise<Map<string, string>> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "body must be application/x-www-form-urlencoded");
  }
  const text = await readBodyCapped(request, MAX_FORM_BYTES);
  if (text === null) throw new OAuthError("invalid_request", "body is larger than 16 KiB");
  const params = new URLSearchParams(text);
  const form = new Map<string, string>();
  for (const [k, v] of params) {
    if (form.has(k)) throw new OAuthError("invalid_request", `parameter "${k}" is repeated`);
    form.set(k, v);
  }
  return form;
}

export function requireParam(form: Map<string, string>, name: string): string {
  const value = form.get(name);
  if (!value) throw new OAuthError("invalid_request", `"${name}" is required`);
  return value;
}
