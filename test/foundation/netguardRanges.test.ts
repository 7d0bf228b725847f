// Outbound-URL classifier, IPv6 and metadata gaps (issue 9 item 10). In-process only: no request is made.
// Ranges: IANA IPv6 Special-Purpose Address Registry (RFC 6890 and updates), RFC 3056 (6to4), RFC 4380 (Teredo),
// RFC 6666 (discard-only 100::/64), RFC 3879 (deprecated site-local fec0::/10), RFC 9637 (3fff::/20).
import { describe, expect, it } from "vitest";
import { checkOutboundUrl, isPrivateHost } from "../../src/shared/netguard";

const refused = [
  "[fec0::1]", // site-local (deprecated, still routed inside sites)
  "[fef0::1]", // rest of fec0::/10
  "[2002:7f00:1::]", // 6to4 of 127.0.0.1
  "[2002:a00:1::1]", // 6to4 of 10.0.0.1
  "[2002:a9fe:a9fe::]", // 6to4 of 169.254.169.254
  "[2001::1]", // Teredo 2001::/32 (server and client IPv4 embedded, obfuscated)
  "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", // Teredo, RFC 4380 example
  "[2001:10::1]", // ORCHID
  "[2001:20::1]", // ORCHIDv2
  "[2001:db8::1]", // documentation
  "[3fff::1]", // documentation (RFC 9637)
  "[100::1]", // discard-only
  "[64:ff9b::a00:1]", // NAT64 of 10.0.0.1
  "[64:ff9b:1::1]", // local-use NAT64
  "[::ffff:7f00:1]", // IPv4-mapped loopback
  "[::]",
  "[::1]",
  "[::7f00:1]", // IPv4-compatible loopback
  "[4000::1]", // outside 2000::/3: not global unicast
  "[fd00:ec2::254]", // AWS IPv6 metadata service (ULA)
  "168.63.129.16", // Azure wire server / metadata
  "169.254.169.254", // AWS / GCP / Azure IMDS
  "100.100.100.200", // Alibaba Cloud metadata (CGNAT)
  "192.0.0.192", // Oracle Cloud metadata (in 192.0.0.0/24)
  "198.51.100.7", // TEST-NET-2
  "203.0.113.7", // TEST-NET-3
  "metadata.google.internal",
  "metadata",
];

const allowed = ["[2606:4700::1111]", "[2001:4860:4860::8888]", "[2a00:1450:4001::1]", "[2002:808:808::1]", "8.8.8.8", "[::808:808]", "idp.example.com"];

describe("outbound-URL classifier: every non-global range and every refused embedded IPv4", () => {
  for (const host of refused) {
    it(`refuses https://${host}/`, () => {
      expect(isPrivateHost(host)).toBe(true);
      expect(checkOutboundUrl(`https://${host}/x`, { allowLocal: false })).toMatchObject({ ok: false, reason: "private_host" });
    });
  }
  it("global addresses stay allowed, including 6to4 of a public IPv4", () => {
    for (const host of allowed) expect([host, isPrivateHost(host)]).toEqual([host, false]);
  });
  it("spellings WHATWG URL rewrites are judged after rewriting", () => {
    for (const raw of ["https://[FEC0:0:0::1]/", "https://[2002:7f00:0001:0000::]/", "https://[::ffff:127.0.0.1]/", "https://0x7f.1/", "https://2130706433/"]) {
      expect([raw, checkOutboundUrl(raw, { allowLocal: false }).ok]).toEqual([raw, false]);
    }
  });
});
