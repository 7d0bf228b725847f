// Outbound HTTP for OIDC (discovery, JWKS, token, userinfo) behind an SSRF guard: https only, private and
// loopback addresses refused, redirects not followed, a response size cap and a timeout. The local gateway
// (and tests) opt in to http://127.0.0.1 with `allowPrivate` — named and loud (STYLE.md §14).
//
// Limitation (documented in docs/oidc.md): the Convex runtime has no DNS API, so a public name that resolves
// to a private address is not caught here; literal IPs and local names are.
import { OidcError } from "./errors";
import { BodyTooLargeError, readBodyCapped } from "../shared/body";
import { checkOutboundUrl } from "../shared/netguard";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface GuardOptions {
  fetch: FetchLike;
  /** Only for the local gateway / tests (GATEWAY_LOCAL=1): http and loopback/private hosts allowed. */
  allowPrivate?: boolean;
  timeoutMs?: number;
  maxBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 512 * 1024;

/** The host classification shared with the SAML metadata guard (src/shared/netguard.ts). */
export { isPrivateHost } from "../shared/netguard";

/** Throws OidcError("fetch_refused") when the URL may not be fetched. */
export function assertFetchable(url: string, allowPrivate = false): URL {
  const c = checkOutboundUrl(url, { allowLocal: allowPrivate });
  if (c.ok) return c.url;
  switch (c.reason) {
    case "invalid":
      throw new OidcError("fetch_refused", `"${url.slice(0, 100)}" is not a URL`);
    case "credentials":
      throw new OidcError("fetch_refused", "URL carries credentials");
    case "not_https":
      throw new OidcError("fetch_refused", `${c.url.origin} is not https`);
    case "non_default_port": // not asked of OIDC (issuers may use any port); kept for exhaustiveness
    case "private_host":
      throw new OidcError("fetch_refused", `${c.url.hostname} is a private or loopback address`);
  }
}

async function readCapped(res: Response, maxBytes: number, origin: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return (await readBodyCapped(res, maxBytes)) ?? new Uint8Array(0);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new OidcError("fetch_refused", `${origin} response exceeds ${maxBytes} bytes`);
    throw e;
  }
}

/**
 * A fetch with the guard applied, shaped for openid-client's `customFetch` (url string + init).
 * Timeouts surface as OidcError("idp_timeout"); refusals as OidcError("fetch_refused").
 */
export function guardedFetch(opts: GuardOptions): FetchLike {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  return async (input, init = {}) => {
    const u = assertFetchable(String(input), opts.allowPrivate === true);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const outer = init.signal;
    const onOuterAbort = () => controller.abort();
    if (outer) {
      if (outer.aborted) controller.abort();
      else outer.addEventListener("abort", onOuterAbort, { once: true });
    }
    try {
      const res = await opts.fetch(u.href, { ...init, redirect: "manual", signal: controller.signal });
      const body = await readCapped(res, maxBytes, u.origin);
      const status = res.status === 0 ? 502 : res.status; // opaque redirect: not followed
      return new Response(status === 204 || status === 304 ? null : (body as BodyInit), {
        status,
        statusText: res.statusText,
        headers: res.headers,
      });
    } catch (e) {
      if (e instanceof OidcError) throw e;
      // Our timer, or the caller's own deadline (openid-client passes AbortSignal.timeout as `signal`).
      const callerTimedOut = outer?.aborted === true && (outer.reason as { name?: string } | undefined)?.name === "TimeoutError";
      if (timedOut || callerTimedOut) throw new OidcError("idp_timeout", `${u.origin}${u.pathname} did not answer within ${timeoutMs} ms`);
      throw new OidcError("fetch_refused", `${u.origin}${u.pathname} could not be fetched`);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    }
  };
}
