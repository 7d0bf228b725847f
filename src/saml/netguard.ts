// Fetching an admin-supplied metadata URL without becoming an SSRF proxy: https only, no credentials, literal
// private / loopback / link-local / metadata-service addresses and local names refused, redirects followed by
// hand (each hop re-checked, at most 3), a byte cap enforced while reading, and a timeout. `fetch` is injected.
//
// Limit (documented in docs/saml.md): the Convex default runtime has no DNS API, so a public name that resolves
// to a private address cannot be detected here; Convex's own egress is not inside the customer's network.
import { BodyTooLargeError, declaresTooLarge, readStreamCapped } from "../shared/body";

export class FetchGuardError extends Error {
  constructor(
    readonly code:
      | "url_invalid"
      | "url_not_https"
      | "url_private_address"
      | "fetch_too_large"
      | "fetch_timeout"
      | "fetch_failed"
      | "fetch_status"
      | "fetch_too_many_redirects",
    message: string,
  ) {
    super(message);
  }
}

function ipv4Private(host: string): boolean | null {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && Number(m[3]) === 0) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function ipv6Private(host: string): boolean | null {
  if (!host.startsWith("[")) return null;
  const h = host.slice(1, -1).toLowerCase();
  if (h === "::" || h === "::1") return true;
  // IPv4-mapped / -compatible (WHATWG URL normalises ::ffff:a.b.c.d to hex groups).
  const mapped = h.match(/^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`) ?? true;
  }
  if (h.startsWith("::ffff:")) return true;
  const first = parseInt(h.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    h.startsWith("64:ff9b:") || // NAT64 can reach IPv4 private space
    h.startsWith("2001:db8:")
  );
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|intranet|lan|home|corp|localdomain)$/i;

/** Throws FetchGuardError if this URL must not be fetched. `allowLocal` is the local gateway (GATEWAY_LOCAL=1). */
export function checkFetchUrl(raw: string, opts: { allowLocal: boolean }): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new FetchGuardError("url_invalid", "not an absolute URL");
  }
  if (u.username || u.password) throw new FetchGuardError("url_invalid", "URL must not contain credentials");
  if (opts.allowLocal && (u.protocol === "http:" || u.protocol === "https:")) return u;
  if (u.protocol !== "https:") throw new FetchGuardError("url_not_https", "metadata URL must use https");
  if (u.port !== "" && u.port !== "443") {
    throw new FetchGuardError("url_private_address", "metadata URL must use the default https port");
  }
  const host = u.hostname;
  const v4 = ipv4Private(host);
  const v6 = ipv6Private(host);
  if (v4 === true || v6 === true || (v4 === null && v6 === null && (LOCAL_NAMES.test(host) || !host.includes(".")))) {
    throw new FetchGuardError("url_private_address", "metadata URL points to a private, loopback or local address");
  }
  return u;
}

export interface GuardedFetchOptions {
  fetch: typeof fetch;
  allowLocal: boolean;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
}

/** GET a URL under the guard; returns the body text. */
export async function guardedFetchText(raw: string, opts: GuardedFetchOptions): Promise<string> {
  let url = checkFetchUrl(raw, opts);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await opts.fetch(url.toString(), {
          method: "GET",
          redirect: "manual",
          signal: controller.signal,
          headers: { accept: "application/samlmetadata+xml, application/xml, text/xml" },
        });
      } catch (e) {
        if (timedOut) throw new FetchGuardError("fetch_timeout", `no answer within ${opts.timeoutMs} ms`);
        throw new FetchGuardError("fetch_failed", "the request failed");
      }
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get("location");
        if (!loc) throw new FetchGuardError("fetch_status", `HTTP ${res.status} without Location`);
        if (hop >= (opts.maxRedirects ?? 3)) throw new FetchGuardError("fetch_too_many_redirects", "too many redirects");
        url = checkFetchUrl(new URL(loc, url).toString(), opts);
        continue;
      }
      if (res.status !== 200) throw new FetchGuardError("fetch_status", `HTTP ${res.status}`);
      if (declaresTooLarge(res.headers, opts.maxBytes)) {
        throw new FetchGuardError("fetch_too_large", `body larger than ${opts.maxBytes} bytes`);
      }
      if (!res.body) return "";
      let all: Uint8Array;
      try {
        all = await readStreamCapped(res.body, opts.maxBytes);
      } catch (e) {
        if (e instanceof BodyTooLargeError) throw new FetchGuardError("fetch_too_large", `body larger than ${opts.maxBytes} bytes`);
        if (timedOut) throw new FetchGuardError("fetch_timeout", `no answer within ${opts.timeoutMs} ms`);
        throw new FetchGuardError("fetch_failed", "reading the body failed");
      }
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(all);
      } catch {
        throw new FetchGuardError("fetch_failed", "body is not UTF-8");
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
