// SP cores: config validation (dotted paths), binding choice, AuthnRequest over HTTP-Redirect (round trip and a
// verifiable signature), attribute presets, X.509, and the metadata-URL fetch guard (SSRF).
import { describe, expect, it } from "vitest";
import { createPublicKey, verify as nodeVerify, X509Certificate } from "node:crypto";
import { DOMParser } from "@xmldom/xmldom";
import { parseSamlConfig, SamlConfigError, chooseSsoBinding, type SamlConfigInput } from "../../src/saml/config";
import { buildAuthnRequest } from "../../src/saml/messages";
import { buildRedirectUrl, decodeRedirect, verifyRedirect, RedirectBindingError } from "../../src/saml/redirectBinding";
import { generateSelfSignedCert, importRsaSigningKey, parseCertificate, certificateToPem } from "../../src/saml/x509";
import { mapProfile, MappingError } from "../../src/saml/attributes";
import { checkFetchUrl, guardedFetchText, FetchGuardError } from "../../src/saml/netguard";
import { deflateRaw, bytesToB64, utf8 } from "../../src/saml/encoding";

const keyPair = generateSelfSignedCert({ commonName: "test", now: Date.now(), validDays: 30 });

async function validConfig(): Promise<SamlConfigInput> {
  const { certificate } = await keyPair;
  return {
    idp: {
      entityId: "https://idp.example/entity",
      ssoUrls: { redirect: "https://idp.example/sso" },
      certificates: [certificateToPem(certificate)],
    },
  };
}

function configError(input: unknown): { path: string; message: string } {
  try {
    parseSamlConfig(input);
  } catch (e) {
    if (e instanceof SamlConfigError) return { path: e.path, message: e.message };
    throw e;
  }
  throw new Error("expected a SamlConfigError");
}

describe("connection config validation", () => {
  it("accepts a minimal config, normalises the PEM certificate to base64 DER, fills safe defaults, freezes", async () => {
    const cfg = parseSamlConfig(await validConfig());
    expect(cfg.idp.certificates[0]).toBe((await keyPair).certificate);
    expect(cfg.security).toEqual({
      clockSkewSec: 180,
      dangerouslyAllowResponseOnlySignature: false,
      dangerouslyAllowSha1: false,
      maxResponseBytes: 262_144,
    });
    expect(cfg.idpInitiated.enabled).toBe(false);
    expect(Object.isFrozen(cfg.idp.certificates)).toBe(true);
  });

  const cases: Array<[string, (c: any) => void, string, RegExp]> = [
    ["missing entity ID", (c) => delete c.idp.entityId, "idp.entityId", /./],
    ["bad certificate", (c) => (c.idp.certificates = ["not a cert"]), "idp.certificates.0", /X\.509/],
    ["second certificate bad", (c) => c.idp.certificates.push("AAAA"), "idp.certificates.1", /X\.509/],
    ["no certificates", (c) => (c.idp.certificates = []), "idp.certificates", /at least one/],
    ["no SSO URL", (c) => (c.idp.ssoUrls = {}), "idp.ssoUrls", /redirect or a post/],
    ["plain http SSO URL", (c) => (c.idp.ssoUrls.redirect = "http://idp.example/sso"), "idp.ssoUrls.redirect", /https/],
    ["javascript: SSO URL", (c) => (c.idp.ssoUrls.redirect = "javascript:alert(1)"), "idp.ssoUrls.redirect", /https/],
    ["http metadata URL", (c) => (c.idp.metadataUrl = "http://idp.example/md"), "idp.metadataUrl", /https/],
    ["skew too large", (c) => (c.security = { clockSkewSec: 3600 }), "security.clockSkewSec", /./],
    ["unknown field (typo of a dangerous switch)", (c) => (c.security = { allowSha1: true }), "security", /unknown field.*allowSha1/],
    ["unknown preset", (c) => (c.mapping = { preset: "auth0" }), "mapping.preset", /./],
    ["IdP-initiated on without initiateLoginUri", (c) => (c.idpInitiated = { enabled: true, appClientId: "a" }), "idpInitiated.initiateLoginUri", /required/],
    ["IdP-initiated on without the app", (c) => (c.idpInitiated = { enabled: true, initiateLoginUri: "https://app/x" }), "idpInitiated.appClientId", /required/],
  ];
  for (const [name, mutate, path, msg] of cases) {
    it(`refuses ${name} with path ${path}`, async () => {
      const c = structuredClone(await validConfig());
      mutate(c);
      const e = configError(c);
      expect(e.path).toBe(path);
      expect(e.message).toMatch(msg);
      expect(e.message.startsWith(path)).toBe(true);
    });
  }

  it("http is allowed for loopback SSO URLs only (local gateway IdP)", async () => {
    const c = structuredClone(await validConfig()) as any;
    c.idp.ssoUrls.redirect = "http://127.0.0.1:3210/_idp/saml/sso";
    expect(parseSamlConfig(c).idp.ssoUrls.redirect).toBe("http://127.0.0.1:3210/_idp/saml/sso");
  });

  it("binding: Redirect preferred, POST when asked, Redirect forced when signing", async () => {
    const c = structuredClone(await validConfig()) as any;
    c.idp.ssoUrls.post = "https://idp.example/post";
    expect(chooseSsoBinding(parseSamlConfig(c)).binding).toBe("redirect");
    c.sp = { binding: "post" };
    expect(chooseSsoBinding(parseSamlConfig(c))).toEqual({ binding: "post", url: "https://idp.example/post" });
    c.sp = { binding: "post", signAuthnRequests: true };
    expect(chooseSsoBinding(parseSamlConfig(c)).binding).toBe("redirect");
  });
});

describe("AuthnRequest over HTTP-Redirect", () => {
  const req = () =>
    buildAuthnRequest({
      id: "_abc123",
      now: Date.UTC(2026, 10, 25, 3, 0, 0),
      destination: "https://idp.example/sso?tenant=a&x=1",
      acsUrl: "https://gw.example.test/sso/saml/c1/acs",
      spEntityId: "https://gw.example.test/sso/saml/c1/metadata",
      nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    });

  it("round-trips: deflate + base64 + URL-encode, RelayState kept, destination query preserved", async () => {
    const url = new URL(await buildRedirectUrl({ destination: "https://idp.example/sso?tenant=a&x=1", param: "SAMLRequest", xml: req(), relayState: "rs/+=ü" }));
    expect(url.searchParams.get("tenant")).toBe("a");
    const d = await decodeRedirect(url.search);
    expect(d.xml).toBe(req());
    expect(d.relayState).toBe("rs/+=ü");
    expect(d.signed).toBe(false);
    const root = new DOMParser().parseFromString(d.xml, "text/xml").documentElement!;
    expect(root.getAttribute("ID")).toBe("_abc123");
    expect(root.getAttribute("IssueInstant")).toBe("2026-11-25T03:00:00Z");
    expect(root.getAttribute("AssertionConsumerServiceURL")).toBe("https://gw.example.test/sso/saml/c1/acs");
    expect(root.getAttribute("ProtocolBinding")).toBe("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
  });

  it("signed query verifies with the SP certificate (node crypto, independent of our verifier)", async () => {
    const { privateKeyPem, certificate } = await keyPair;
    const raw = await buildRedirectUrl({ destination: "https://idp.example/sso", param: "SAMLRequest", xml: req(), relayState: "r1", signingKey: await importRsaSigningKey(privateKeyPem) });
    const query = raw.split("?")[1]!;
    const sigIdx = query.indexOf("&Signature=");
    const signed = query.slice(0, sigIdx);
    const sig = Buffer.from(decodeURIComponent(query.slice(sigIdx + "&Signature=".length)), "base64");
    expect(signed).toMatch(/^SAMLRequest=[^&]+&RelayState=r1&SigAlg=http%3A%2F%2Fwww\.w3\.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256$/);
    const pub = new X509Certificate(Buffer.from(certificate, "base64")).publicKey;
    expect(nodeVerify("sha256", Buffer.from(signed), pub, sig)).toBe(true);
    expect(nodeVerify("sha256", Buffer.from(signed.replace("r1", "r2")), pub, sig)).toBe(false);
    await expect(verifyRedirect("?" + query, [certificate])).resolves.toMatchObject({ relayState: "r1", signed: true });
  });

  const verifyCode = async (q: string, certs: string[], allowSha1 = false) => {
    try {
      await verifyRedirect(q, certs, { allowSha1 });
      return "ok";
    } catch (e) {
      if (e instanceof RedirectBindingError) return e.code;
      throw e;
    }
  };

  it("verifier refuses unsigned, tampered, other-key, SHA-1 and repeated-parameter messages", async () => {
    const { privateKeyPem, certificate } = await keyPair;
    const other = await generateSelfSignedCert({ commonName: "attacker", now: Date.now(), validDays: 1 });
    const key = await importRsaSigningKey(privateKeyPem);
    const signedQ = (await buildRedirectUrl({ destination: "https://x/", param: "SAMLRequest", xml: req(), relayState: "r1", signingKey: key })).split("?")[1]!;
    const unsignedQ = (await buildRedirectUrl({ destination: "https://x/", param: "SAMLRequest", xml: req() })).split("?")[1]!;
    expect(await verifyCode(unsignedQ, [certificate])).toBe("redirect_unsigned");
    expect(await verifyCode(signedQ.replace("RelayState=r1", "RelayState=r2"), [certificate])).toBe("redirect_bad_signature");
    expect(await verifyCode(signedQ, [other.certificate])).toBe("redirect_bad_signature");
    expect(await verifyCode(signedQ, [other.certificate, certificate])).toBe("ok"); // rotation: any trusted cert
    expect(await verifyCode(signedQ.replace(/SigAlg=[^&]+/, "SigAlg=" + encodeURIComponent("http://www.w3.org/2000/09/xmldsig#rsa-sha1")), [certificate])).toBe("redirect_sigalg_refused");
    expect(await verifyCode(signedQ + "&RelayState=again", [certificate])).toBe("redirect_malformed");
  });

  it("inflate is capped: a deflate bomb is refused, not expanded", async () => {
    const bomb = bytesToB64(await deflateRaw(utf8("<a>" + "A".repeat(2_000_000) + "</a>")));
    await expect(decodeRedirect("SAMLRequest=" + encodeURIComponent(bomb))).rejects.toMatchObject({ code: "redirect_malformed" });
  });
});

describe("attribute mapping presets", () => {
  const E = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
  const MS = "http://schemas.microsoft.com/identity/claims/";
  it("Entra: subject from objectidentifier, email/name from claim URIs, groups (object IDs) and roles", () => {
    const p = mapProfile(
      {
        nameId: "ada@contoso.example",
        nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        attributes: {
          [`${MS}objectidentifier`]: ["7f9c-oid"],
          [`${E}emailaddress`]: ["ada@contoso.example"],
          [`${MS}displayname`]: ["Ada Lovelace"],
          "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": ["g-1", "g-2", "g-1"],
          "http://schemas.microsoft.com/ws/2008/06/identity/claims/role": ["App.Admin"],
        },
      },
      { preset: "entra" },
    );
    expect(p).toMatchObject({ subject: "7f9c-oid", email: "ada@contoso.example", emailVerified: false, name: "Ada Lovelace", groups: ["g-1", "g-2", "App.Admin"] });
  });
  it("Entra without objectidentifier: subject_missing (no silent fallback to a renamable UPN)", () => {
    expect(() => mapProfile({ nameId: "x", nameIdFormat: null, attributes: {} }, { preset: "entra" })).toThrow(MappingError);
  });
  it("Okta: NameID subject, first+last name joined, email verified only when trusted", () => {
    const p = mapProfile(
      { nameId: "00u1", nameIdFormat: null, attributes: { email: ["a@b.example"], firstName: ["Ada"], lastName: ["L"], groups: ["Admins"] } },
      { preset: "okta", trustEmailVerified: true },
    );
    expect(p).toMatchObject({ subject: "00u1", email: "a@b.example", emailVerified: true, name: "Ada L", groups: ["Admins"] });
  });
  it("Google: email from an emailAddress NameID when no attribute; invalid email dropped", () => {
    const a = mapProfile({ nameId: "ada@acme.example", nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", attributes: {} }, { preset: "google" });
    expect(a.email).toBe("ada@acme.example");
    const b = mapProfile({ nameId: "x", nameIdFormat: null, attributes: { email: ["not an email"] } }, { preset: "google" });
    expect(b.email).toBeUndefined();
  });
  it("ADFS / OneLogin / JumpCloud / PingFederate groups attribute names", () => {
    const facts = (attrs: Record<string, string[]>) => ({ nameId: "n", nameIdFormat: null, attributes: attrs });
    expect(mapProfile(facts({ "http://schemas.xmlsoap.org/claims/Group": ["Domain Admins"] }), { preset: "adfs" }).groups).toEqual(["Domain Admins"]);
    expect(mapProfile(facts({ memberOf: ["eng"], "User.email": ["o@l.example"] }), { preset: "onelogin" })).toMatchObject({ groups: ["eng"], email: "o@l.example" });
    expect(mapProfile(facts({ memberOf: ["ops"], firstname: ["J"], lastname: ["C"] }), { preset: "jumpcloud" })).toMatchObject({ groups: ["ops"], name: "J C" });
    expect(mapProfile(facts({ "urn:oid:0.9.2342.19200300.100.1.3": ["p@f.example"], isMemberOf: ["x"] }), { preset: "pingfederate" })).toMatchObject({ email: "p@f.example", groups: ["x"] });
  });
  it("custom: subject from a named attribute, overrides win", () => {
    const p = mapProfile(
      { nameId: "transient-123", nameIdFormat: null, attributes: { uid: ["u-9"], roles: ["r1"] } },
      { preset: "custom", subject: { from: "attribute", name: "uid" }, groups: ["roles"] },
    );
    expect(p).toMatchObject({ subject: "u-9", groups: ["r1"] });
  });
  it("bounds groups (200) and value length", () => {
    const many = Array.from({ length: 500 }, (_, i) => `g${i}`).concat(["x".repeat(10_000)]);
    const p = mapProfile({ nameId: "n", nameIdFormat: null, attributes: { groups: many } }, { preset: "okta" });
    expect(p.groups).toHaveLength(200);
  });
});

describe("X.509 (pure)", () => {
  it("a generated certificate is a real one: openssl-compatible, validity and CN read back", async () => {
    const g = await generateSelfSignedCert({ commonName: "sp-key", now: Date.UTC(2026, 0, 1), validDays: 365 });
    const x = new X509Certificate(Buffer.from(g.certificate, "base64"));
    expect(x.subject).toBe("CN=sp-key");
    expect(x.verify(x.publicKey)).toBe(true);
    const info = await parseCertificate(g.certificate);
    expect(info.notAfter).toBe(Date.parse(x.validTo));
    expect(info.sha256).toBe(x.fingerprint256.replaceAll(":", "").toLowerCase());
    expect(createPublicKey({ key: Buffer.from(info.spki), format: "der", type: "spki" }).asymmetricKeyType).toBe("rsa");
  });
  it("GeneralizedTime after 2049 round-trips", async () => {
    const g = await generateSelfSignedCert({ commonName: "long", now: Date.UTC(2045, 0, 1), validDays: 3650 });
    expect(new Date((await parseCertificate(g.certificate)).notAfter).getUTCFullYear()).toBe(2054);
  });
});

describe("metadata URL fetch guard (SSRF)", () => {
  const guardCode = (url: string, allowLocal = false) => {
    try {
      checkFetchUrl(url, { allowLocal });
      return "ok";
    } catch (e) {
      if (e instanceof FetchGuardError) return e.code;
      throw e;
    }
  };
  it.each([
    ["http://idp.example/md", "url_not_https"],
    ["ftp://idp.example/md", "url_not_https"],
    ["https://127.0.0.1/md", "url_private_address"],
    ["https://127.1.2.3/md", "url_private_address"],
    ["https://10.0.0.5/md", "url_private_address"],
    ["https://172.16.1.1/md", "url_private_address"],
    ["https://192.168.0.1/md", "url_private_address"],
    ["https://169.254.169.254/latest/meta-data", "url_private_address"],
    ["https://100.64.0.1/md", "url_private_address"],
    ["https://0.0.0.0/md", "url_private_address"],
    ["https://[::1]/md", "url_private_address"],
    ["https://[::ffff:127.0.0.1]/md", "url_private_address"],
    ["https://[::ffff:a9fe:a9fe]/md", "url_private_address"],
    ["https://[fd00::1]/md", "url_private_address"],
    ["https://[fe80::1]/md", "url_private_address"],
    ["https://localhost/md", "url_private_address"],
    ["https://idp.localhost/md", "url_private_address"],
    ["https://metadata.google.internal/md", "url_private_address"],
    ["https://intranet/md", "url_private_address"],
    ["https://2130706433/md", "url_private_address"], // decimal 127.0.0.1, normalised by URL
    ["https://0x7f.1/md", "url_private_address"],
    ["https://idp.example:8443/md", "url_private_address"],
    ["https://user:pw@idp.example/md", "url_invalid"],
    ["not a url", "url_invalid"],
  ])("%s → %s", (url, expected) => expect(guardCode(url)).toBe(expected));

  it("public https is allowed; GATEWAY_LOCAL allows loopback http", () => {
    expect(guardCode("https://login.microsoftonline.com/t/federationmetadata/2007-06/federationmetadata.xml")).toBe("ok");
    expect(guardCode("http://127.0.0.1:3210/_idp/saml/metadata", true)).toBe("ok");
  });

  const opts = (fetch: typeof globalThis.fetch, extra = {}) => ({ fetch, allowLocal: false, maxBytes: 1000, timeoutMs: 200, ...extra });
  const fetchCode = async (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof FetchGuardError ? e.code : String(e)));

  it("reads a body under the cap", async () => {
    const f = (async () => new Response("<md/>", { status: 200 })) as typeof fetch;
    await expect(guardedFetchText("https://idp.example/md", opts(f))).resolves.toBe("<md/>");
  });
  it("oversize by Content-Length and by streaming (no Content-Length) are refused", async () => {
    const big = (async () => new Response("x".repeat(5000), { status: 200, headers: { "content-length": "5000" } })) as typeof fetch;
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(big)))).toBe("fetch_too_large");
    const stream = (async () =>
      new Response(
        new ReadableStream({
          pull(c) {
            c.enqueue(new Uint8Array(400));
          },
        }),
        { status: 200 },
      )) as typeof fetch;
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(stream)))).toBe("fetch_too_large");
  });
  it("timeout aborts a request that never answers", async () => {
    const hang = ((_u: string, init?: RequestInit) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))))) as typeof fetch;
    const t0 = Date.now();
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(hang)))).toBe("fetch_timeout");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it("a redirect to a private address is refused (each hop re-checked); non-200 refused", async () => {
    const calls: string[] = [];
    const redir = (async (u: string) => {
      calls.push(u);
      return new Response(null, { status: 302, headers: { location: "https://169.254.169.254/latest" } });
    }) as typeof fetch;
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(redir)))).toBe("url_private_address");
    expect(calls).toEqual(["https://idp.example/md"]);
    const loop = (async () => new Response(null, { status: 302, headers: { location: "https://idp.example/again" } })) as typeof fetch;
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(loop)))).toBe("fetch_too_many_redirects");
    const nf = (async () => new Response("nope", { status: 404 })) as typeof fetch;
    expect(await fetchCode(guardedFetchText("https://idp.example/md", opts(nf)))).toBe("fetch_status");
  });
  it("the guard runs before fetch: a refused URL is never requested", async () => {
    let called = false;
    const f = (async () => {
      called = true;
      return new Response("");
    }) as typeof fetch;
    expect(await fetchCode(guardedFetchText("http://10.0.0.1/md", opts(f)))).toBe("url_not_https");
    expect(called).toBe(false);
  });
});
