// The client address a rate limit is keyed by, from the request headers (Web APIs only).
//
// Trusted header: `x-forwarded-for`, its LAST entry — the address the nearest proxy (Convex's edge, or the
// local gateway, which overwrites the header with the socket's peer address) saw. Entries to its left are
// whatever the client wrote and are never used. IPv6 addresses are keyed by their /64 (one subscriber gets a
// whole /64, so a per-address key would be free to rotate). Without the header every request shares the key
// "unknown": still limited, never unlimited.
export const CLIENT_ADDRESS_HEADER = "x-forwarded-for";

export function clientAddressKey(headers: Headers): string {
  const raw = headers.get(CLIENT_ADDRESS_HEADER);
  const last = raw?.split(",").pop()?.trim().toLowerCase() ?? "";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(last)) return last;
  const v6 = last.replace(/^\[|\](:\d+)?$/g, "").replace(/%.*$/, "");
  if (/^[0-9a-f:.]+$/.test(v6) && v6.includes(":")) return `${ipv6Prefix64(v6)}::/64`;
  const v4WithPort = /^(\d{1,3}(\.\d{1,3}){3}):\d+$/.exec(last);
  if (v4WithPort) return v4WithPort[1]!;
  return "unknown";
}

/** The first four groups of an IPv6 address, expanded (so every spelling of one /64 gives one key). */
function ipv6Prefix64(address: string): string {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...new Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return groups
    .slice(0, 4)
    .map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : "x"))
    .join(":");
}
