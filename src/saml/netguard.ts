// Fetching an admin-supplied metadata URL without becoming an SSRF proxy: https only, no credentials, literal
// private / loopback / link-local / metadata-service addresses and local names refused, redirects followed by
// hand (each hop re-checked, at most 3), a byte cap enforced while reading, and a timeout. `fetch` is injected.
//
// Limit (documented in docs/saml.md): the Convex default runtime has no DNS API, so a public name that resolves
// to a private address cannot be detected here; Convex's own egress is not inside the customer's network.
import { BodyTooLargeError, declaresTooLarge, readStreamCapped } from "../shared/body";
import { checkOutboundUrl } from "../shared/netguard";

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

/** Throws FetchGuardError if this URL must not be fetched. `allowLocal` is the local gateway (GATEWAY_LOCAL=1). */
export function checkFetchUrl(raw: string, opts: { allowLocal: boolean }): URL {
  const c = checkOutboundUrl(raw, { allowLocal: opts.allowLocal, defaultPortOnly: true });
  if (c.ok) return c.url;
  switch (c.reason) {
    case "invalid":
      throw new FetchGuardError("url_invalid", "not an absolute URL");
    case "credentials":
      throw new FetchGuardError("url_invalid", "URL must not contain credentials");
    case "not_https":
      throw new FetchGuardError("url_not_https", "metadata URL must use https");
    case "non_default_port":
      throw new FetchGuardError("url_private_address", "metadata URL must use the default https port");
    case "private_host":
      throw new FetchGuardError("url_private_address", "metadata URL points to a private, loopback or local address");
  }
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
