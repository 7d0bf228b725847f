// Pins the shared Web-API helpers behind the OIDC and SAML guards (src/shared/*): the capped reader and the
// outbound-URL classifier. Regression: the two guards used to be written twice with different lists; each
// host below was refused by at least one of them, and must now be refused by both.
import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readBodyCapped, readStreamCapped } from "../../src/shared/body";
import { checkOutboundUrl, isPrivateHost } from "../../src/shared/netguard";
import { assertFetchable } from "../../src/oidc/fetch";
import { checkFetchUrl, FetchGuardError } from "../../src/saml/netguard";
import { OidcError } from "../../src/oidc/errors";

function endless(chunk: number): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(chunk));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

describe("readStreamCapped / readBodyCapped", () => {
  it("returns the bytes when at the cap exactly", async () => {
    const r = new Response(new Uint8Array(100));
    expect((await readBodyCapped(r, 100))?.byteLength).toBe(100);
  });
  it("an endless stream stops one chunk past the cap and the reader is cancelled", async () => {
    const s = endless(64);
    await expect(readStreamCapped(s.stream, 1000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(s.cancelled()).toBe(true);
  });
  it("a declared Content-Length over the cap is refused before reading", async () => {
    const s = endless(1);
    const r = new Response(s.stream, { headers: { "content-length": "5000" } });
    await expect(readBodyCapped(r, 1000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(r.bodyUsed).toBe(false);
  });
  it("a lying small Content-Length does not let a large body through", async () => {
    const r = new Response(new Uint8Array(5000), { headers: { "content-length": "10" } });
    await expect(readBodyCapped(r, 1000)).rejects.toBeInstanceOf(BodyTooLargeError);
  });
  it("an unparsable Content-Length declares nothing; the streamed count still applies", async () => {
    const ok = new Response("abc", { headers: { "content-length": "lots" } });
    expect(new TextDecoder().decode((await readBodyCapped(ok, 10))!)).toBe("abc");
    const big = new Response(new Uint8Array(50), { headers: { "content-length": "lots" } });
    await expect(readBodyCapped(big, 10)).rejects.toBeInstanceOf(BodyTooLargeError);
  });
  it("no body at all is null, an empty body is zero bytes", async () => {
    expect(await readBodyCapped(new Response(null), 10)).toBeNull();
    expect((await readBodyCapped(new Response(""), 10))?.byteLength).toBe(0);
  });
});

// Refused before the merge by only one of the two guards; now by both.
const refusedByEitherBefore = [
  "https://192.0.2.1/x", // OIDC refused 192.0.0.0/16, SAML only 192.0.0.0/24
  "https://[::ffff:808:808]/x", // OIDC: every mapped address
  "https://[fc::1]/x", // OIDC: textual prefix
  "https://[ff::1]/x",
  "https://localhost./x", // OIDC stripped the trailing dot
  "https://router.home.arpa/x", // OIDC only
  "https://[::7f00:1]/x", // SAML: IPv4-compatible loopback
  "https://[::a00:1]/x", // SAML: IPv4-compatible 10.0.0.1
  "https://wiki.intranet/x", // SAML's local names
  "https://nas.lan/x",
  "https://printer.home/x",
  "https://git.corp/x",
  "https://box.localdomain/x",
];

describe("one outbound-URL classifier for OIDC and SAML", () => {
  for (const url of refusedByEitherBefore) {
    it(`${url} is refused by both guards`, () => {
      expect(checkOutboundUrl(url, { allowLocal: false })).toMatchObject({ ok: false, reason: "private_host" });
      expect(() => assertFetchable(url)).toThrow(OidcError);
      let code = "ok";
      try {
        checkFetchUrl(url, { allowLocal: false });
      } catch (e) {
        if (e instanceof FetchGuardError) code = e.code;
      }
      expect(code).toBe("url_private_address");
    });
  }

  it("public hosts stay allowed", () => {
    for (const h of ["idp.example.com", "8.8.8.8", "[2606:4700::1111]", "[::808:808]", "login.microsoftonline.com"]) {
      expect(isPrivateHost(h)).toBe(false);
    }
  });

  it("refusal order: invalid, credentials, scheme, port (only when asked), host", () => {
    expect(checkOutboundUrl("not a url", { allowLocal: false })).toEqual({ ok: false, reason: "invalid" });
    expect(checkOutboundUrl("http://u:p@127.0.0.1/", { allowLocal: true })).toMatchObject({ ok: false, reason: "credentials" });
    expect(checkOutboundUrl("http://10.0.0.1/", { allowLocal: false })).toMatchObject({ ok: false, reason: "not_https" });
    expect(checkOutboundUrl("https://10.0.0.1:8443/", { allowLocal: false, defaultPortOnly: true })).toMatchObject({
      ok: false,
      reason: "non_default_port",
    });
    expect(checkOutboundUrl("https://10.0.0.1:8443/", { allowLocal: false })).toMatchObject({ ok: false, reason: "private_host" });
    expect(checkOutboundUrl("https://idp.example.com:8443/", { allowLocal: false })).toMatchObject({ ok: true });
    expect(checkOutboundUrl("ftp://127.0.0.1/", { allowLocal: true })).toMatchObject({ ok: false, reason: "not_https" });
    expect(checkOutboundUrl("http://127.0.0.1:3210/", { allowLocal: true })).toMatchObject({ ok: true });
  });
});
