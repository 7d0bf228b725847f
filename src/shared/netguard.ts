// Outbound-URL classification shared by the OIDC fetch guard (src/oidc/fetch.ts) and the SAML metadata
// fetch guard (src/saml/netguard.ts): https only, no credentials in the URL, and literal private / loopback /
// link-local / CGNAT / metadata-service / multicast addresses (IPv4 and IPv6, mapped forms included) and
// local-only names refused. Each protocol wraps the result in its own error type and codes.
//
// Limit: the Convex default runtime has no DNS API, so a public name that resolves to a private address is
// not caught here; literal IPs and local names are. Hosts are expected as WHATWG URL serialises them
// (IPv6 in brackets, IPv4 in dotted decimal), but other spellings are classified conservatively.

/** Literal IPv4: true when private / reserved, false when public, undefined when not an IPv4 literal. */
function ipv4Private(host: string): boolean | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments (192.0.0.0/24) and TEST-NET-1 (192.0.2.0/24)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/** Literal IPv6 in brackets: true when private / reserved, false when public, undefined when not IPv6. */
function ipv6Private(host: string): boolean | undefined {
  if (!host.startsWith("[")) return undefined;
  const h = host.slice(1, -1).toLowerCase();
  if (h === "::" || h === "::1") return true;
  // IPv4-mapped (::ffff:…, dotted or hex): every one is treated as private.
  if (h.startsWith("::ffff:")) return true;
  // IPv4-compatible (::a.b.c.d, which WHATWG URL writes as two hex groups): judged by the embedded IPv4.
  const compat = /^::([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (compat) {
    const hi = parseInt(compat[1]!, 16);
    const lo = parseInt(compat[2]!, 16);
    if (ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)) return true;
  }
  const first = parseInt(h.split(":")[0] || "0", 16);
  return (
    /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(h) || // textual prefixes of the ranges below (also catches short groups)
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    h.startsWith("64:ff9b:") || // NAT64 can reach IPv4 private space
    h.startsWith("2001:db8:") // documentation
  );
}

/** Names that only resolve inside a network (RFC 6761, RFC 8375 and common internal suffixes). */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|intranet|lan|home|corp|localdomain|home\.arpa)$/;

/** True when the host is a literal private / loopback / link-local address or a local-only name. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const v4 = ipv4Private(host);
  if (v4 !== undefined) return v4;
  const v6 = ipv6Private(host);
  if (v6 !== undefined) return v6;
  return LOCAL_NAMES.test(host) || !host.includes(".");
}

export interface OutboundUrlPolicy {
  /** Local gateway / tests only (GATEWAY_LOCAL=1): http and private hosts (and any port) allowed. */
  allowLocal: boolean;
  /** Refuse an explicit port other than 443 (SAML metadata URLs). */
  defaultPortOnly?: boolean;
}

export type OutboundUrlCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "credentials" | "not_https" | "non_default_port" | "private_host"; url: URL };

/** Classify a URL the gateway is asked to fetch; checks run in this order and the first refusal wins. */
export function checkOutboundUrl(raw: string, policy: OutboundUrlPolicy): OutboundUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (url.username || url.password) return { ok: false, reason: "credentials", url };
  if (policy.allowLocal && (url.protocol === "http:" || url.protocol === "https:")) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "not_https", url };
  if (policy.defaultPortOnly && url.port !== "" && url.port !== "443") return { ok: false, reason: "non_default_port", url };
  if (isPrivateHost(url.hostname)) return { ok: false, reason: "private_host", url };
  return { ok: true, url };
}
