// Outbound HTTP for OIDC (discovery, JWKS, token, userinfo) behind an SSRF guard: https only, private and
// loopback addresses refused, redirects not followed, a response size cap and a timeout. The local gateway
// (and tests) opt in to http://127.0.0.1 with `allowPrivate` — named and loud (STYLE.md §14).
//
// Limitation (documented in docs/oidc.md): the Convex runtime has no DNS API, so a public name that resolves
// to a private address is not caught here; literal IPs and local names are.
import { OidcError } from "./errors";
import { BodyTooLargeError, readBodyCapped } from "../shared/body";

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

function ipv4Private(host: string): boolean | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function ipv6Private(host: string): boolean | undefined {
  if (!host.startsWith("[")) return undefined;
  const h = host.slice(1, -1).toLowerCase();
  if (h === "::" || h === "::1") return true;
  const mapped = /^::ffff:(.+)$/.exec(h);
  if (mapped) {
    const rest = mapped[1] ?? "";
    if (rest.includes(".")) return ipv4Private(rest) ?? true;
    return true; // ::ffff:7f00:1 and friends: treat every mapped address as private
  }
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(h) || h.startsWith("64:ff9b:") || h.startsWith("2001:db8:");
}

/** True when the host is a literal private / loopback / link-local address or a local-only name. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const v4 = ipv4Private(host);
  if (v4 !== undefined) return v4;
  const v6 = ipv6Private(host);
  if (v6 !== undefined) return v6;
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal") ||
    host.endsWith(".home.arpa") ||
    !host.includes(".")
  );
}

/** Throws OidcError("fetch_refused") when the URL may not be fetched. */
export function assertFetchable(url: string, allowPrivate = false): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OidcError("fetch_refused", `"${url.slice(0, 100)}" is not a URL`);
  }
  if (u.username || u.password) throw new OidcError("fetch_refused", "URL carries credentials");
  if (u.protocol !== "https:" && !(allowPrivate && u.protocol === "http:")) {
    throw new OidcError("fetch_refused", `${u.origin} is not https`);
  }
  if (!allowPrivate && isPrivateHost(u.hostname)) {
    throw new OidcError("fetch_refused", `${u.hostname} is a private or loopback address`);
  }
  return u;
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
      if (timedOut) throw new OidcError("idp_timeout", `${u.origin}${u.pathname} did not answer within ${timeoutMs} ms`);
      throw new OidcError("fetch_refused", `${u.origin}${u.pathname} could not be fetched`);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    }
  };
}
