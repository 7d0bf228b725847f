// Outbound-URL classification shared by the OIDC fetch guard (src/oidc/fetch.ts) and the SAML metadata
// fetch guard (src/saml/netguard.ts): https only, no credentials in the URL, and literal private / loopback /
// link-local / CGNAT / metadata-service / multicast addresses (IPv4; for IPv6 everything but global unicast,
// with IPv4 embedded by 6to4 or the compatible form judged as IPv4) and local-only names refused.
// Each protocol wraps the result in its own error type and codes.
//
// Limit: the Convex default runtime has no DNS API, so a public name that resolves to a private address is
// not caught here; literal IPs and local names are. Hosts are expected as WHATWG URL serialises them
// (IPv6 in brackets, IPv4 in dotted decimal), but other spellings are classified conservatively.

/** Literal IPv4: true when private / reserved, false when public, undefined when not an IPv4 literal. */
function ipv4Private(host: string): boolean | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const [a, b, c, d] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT (also Alibaba Cloud's metadata 100.100.100.200)
    (a === 169 && b === 254) || // link-local, cloud metadata (AWS, GCP, Azure IMDS)
    (a === 168 && b === 63 && c === 129 && d === 16) || // Azure wire server
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments (192.0.0.0/24, Oracle metadata 192.0.0.192) and TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast, reserved, broadcast
  );
}

/** The eight 16-bit groups of an IPv6 literal (without brackets), or null when it is not one. */
function ipv6Groups(h: string): number[] | null {
  let text = h;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (dotted) {
    const parts = dotted[2]!.split(".").map(Number);
    if (parts.some((p) => p > 255)) return null;
    tail.push((parts[0]! << 8) | parts[1]!, (parts[2]! << 8) | parts[3]!);
    text = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const known = head.length + rest.length + tail.length;
  if ([...head, ...rest].some(Number.isNaN) || known > 8 || (halves.length === 1 && known !== 8)) return null;
  return [...head, ...new Array(8 - known).fill(0), ...rest, ...tail];
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * Literal IPv6 in brackets: true unless it is global unicast, false when public, undefined when not IPv6.
 * An allow-list: only 2000::/3 can be global (RFC 4291 §2.4), and inside it the special-purpose blocks of the
 * IANA IPv6 registry are refused; 6to4 (RFC 3056) is judged by its embedded IPv4. Everything else —
 * ::/128, ::1, IPv4-mapped, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, discard-only 100::/64, ULA fc00::/7,
 * site-local fec0::/10 (RFC 3879), link-local, multicast — is refused.
 */
function ipv6Private(host: string): boolean | undefined {
  if (!host.startsWith("[")) return undefined;
  const g = ipv6Groups(host.slice(1, -1).toLowerCase());
  if (!g) return true; // not a literal we can read: refuse
  const [g0, g1] = [g[0]!, g[1]!];
  const upperZero = g.slice(0, 6).every((x) => x === 0);
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1): judged by the embedded IPv4 (:: and ::1 included).
  if (upperZero) return g[6]! === 0 || ipv4Private(v4Of(g[6]!, g[7]!)) !== false;
  if ((g0 & 0xe000) !== 0x2000) return true; // outside global unicast 2000::/3
  if (g0 === 0x2001 && g1 < 0x200) return true; // 2001::/23 IETF protocol assignments: Teredo, ORCHID, benchmarking…
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x3fff && g1 < 0x1000) return true; // 3fff::/20 documentation
  if (g0 === 0x2002) return ipv4Private(v4Of(g1, g[2]!)) !== false; // 6to4: the relay reaches the embedded IPv4
  return false;
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
