// Pure OIDC core: configuration validation (dotted paths), the SSRF guard, discovery checks and the
// claim-mapping presets (Entra ID specifics). No Convex, no network beyond an in-process 127.0.0.1 server.
import { afterEach, describe, expect, it } from "vitest";
import { configIssues, parseOidcConfig, parseOidcConfigInput } from "../../src/oidc/config";
import { effectiveMetadata, validateDiscovery } from "../../src/oidc/discovery";
import { OidcError } from "../../src/oidc/errors";
import { assertFetchable, guardedFetch, isPrivateHost } from "../../src/oidc/fetch";
import { mapClaims } from "../../src/oidc/claims";
import { startLoopbackServer, type LoopbackServer } from "./harness";

const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
const base = { issuer: "https://idp.example.com", clientId: "rp", clientSecret: "s" };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof OidcError ? `${e.code}: ${e.detail}` : String(e);
  }
  return undefined;
}

describe("connection config is validated where it is written, with the dotted path", () => {
  it("accepts a minimal config and fills the defaults", () => {
    const c = parseOidcConfigInput(base);
    expect(c).toMatchObject({ preset: "generic", tokenEndpointAuthMethod: "client_secret_basic", scopes: ["openid", "email", "profile"], useUserinfo: true });
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ["issuer not a URL", { ...base, issuer: "idp.example.com" }, '"issuer" must be an absolute http(s) URL'],
    ["issuer with credentials", { ...base, issuer: "https://u:p@idp.example.com" }, '"issuer"'],
    ["scopes without openid", { ...base, scopes: ["email"] }, '"scopes" must include "openid"'],
    ["scope with a space", { ...base, scopes: ["openid", "a b"] }, '"scopes.1" must be a scope token'],
    ["secret missing for basic", { issuer: base.issuer, clientId: "rp" }, '"clientSecret" is required for client_secret_basic'],
    ["secret missing for post", { issuer: base.issuer, clientId: "rp", tokenEndpointAuthMethod: "client_secret_post" }, '"clientSecret" is required'],
    ["secret given for private_key_jwt", { ...base, tokenEndpointAuthMethod: "private_key_jwt" }, '"clientSecret" must be absent'],
    ["unknown auth method", { ...base, tokenEndpointAuthMethod: "client_secret_jwt" }, '"tokenEndpointAuthMethod"'],
    ["unknown preset", { ...base, preset: "ping" }, '"preset"'],
    ["bad endpoint", { ...base, endpoints: { authorization_endpoint: "x", token_endpoint: "https://a/t", jwks_uri: "https://a/j" } }, '"endpoints.authorization_endpoint"'],
    ["unknown prompt", { ...base, authorizationParams: { prompt: "always" } }, '"authorizationParams.prompt"'],
    ["unknown authorization param", { ...base, authorizationParams: { redirect_uri: "https://evil" } }, '"authorizationParams"'],
    ["HS256 in the alg list", { ...base, idTokenAlgs: ["HS256"] }, '"idTokenAlgs.0"'],
    ["none in the alg list", { ...base, idTokenAlgs: ["none"] }, '"idTokenAlgs.0"'],
    ["unknown top-level key", { ...base, clientSecretSealed: "x" }, "(root)"],
    ["multi-tenant Entra without tenantId", { ...base, preset: "entra", issuer: "https://login.microsoftonline.com/organizations/v2.0" }, '"tenantId" is required'],
    ["multi-tenant Entra with another preset", { ...base, issuer: "https://login.microsoftonline.com/common/v2.0", tenantId: TENANT }, '"preset" must be "entra"'],
    ["tenantId not a GUID", { ...base, preset: "entra", tenantId: "contoso" }, '"tenantId" must be a tenant GUID'],
    ["empty claim list", { ...base, claims: { groups: [] } }, '"claims.groups"'],
  ];
  for (const [name, input, expected] of bad) {
    it(`refuses: ${name}`, () => {
      const msg = codeOf(() => parseOidcConfigInput(input));
      expect(msg).toMatch(/^config_invalid: /);
      expect(msg).toContain(expected);
    });
  }

  it("lists every issue with its path for an admin UI", () => {
    const issues = configIssues({ issuer: "nope", clientId: "", scopes: ["email"] });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["issuer", "clientId", "scopes"]));
  });

  it("reads the stored form back frozen, and refuses a stored form with a plaintext secret", () => {
    const stored = parseOidcConfig({ issuer: base.issuer, clientId: "rp", clientSecretSealed: "sealed" });
    expect(Object.isFrozen(stored)).toBe(true);
    expect(codeOf(() => parseOidcConfig({ ...base }))).toContain("config_invalid");
    expect(codeOf(() => parseOidcConfig({ issuer: base.issuer, clientId: "rp", tokenEndpointAuthMethod: "private_key_jwt" }))).toContain('"clientKey" is required');
  });
});

describe("SSRF guard", () => {
  let net: LoopbackServer | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  const refused = [
    "http://idp.example.com/x", // not https
    "https://127.0.0.1/x",
    "https://10.1.2.3/x",
    "https://172.20.0.1/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data", // cloud metadata
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://[::1]/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://localhost/x",
    "https://metadata.google.internal/x",
    "https://printer.local/x",
    "https://intranet/x",
    "https://2130706433/x", // 127.0.0.1 as a number, normalised by URL
    "https://0x7f.1/x",
    "https://user:pw@idp.example.com/x",
    "ftp://idp.example.com/x",
    "not a url",
  ];
  for (const url of refused) {
    it(`refuses ${url}`, () => {
      expect(codeOf(() => assertFetchable(url))).toMatch(/^fetch_refused/);
    });
  }

  it("allows public https hosts", () => {
    expect(assertFetchable("https://login.microsoftonline.com/common/v2.0").hostname).toBe("login.microsoftonline.com");
    expect(isPrivateHost("accounts.google.com")).toBe(false);
    expect(isPrivateHost("8.8.8.8")).toBe(false);
  });

  it("allows http loopback only with the named local opt-in", () => {
    expect(codeOf(() => assertFetchable("http://127.0.0.1:3210/x", false))).toMatch(/^fetch_refused/);
    expect(assertFetchable("http://127.0.0.1:3210/x", true).port).toBe("3210");
  });

  it("caps the response size (declared and streamed)", async () => {
    net = await startLoopbackServer();
    net.fallback = (req, res) => {
      if (req.url === "/declared") {
        res.writeHead(200, { "content-length": String(10_000) });
        res.end("x".repeat(10_000));
      } else {
        res.writeHead(200); // chunked, no length
        for (let i = 0; i < 10; i++) res.write("y".repeat(1000));
        res.end();
      }
    };
    const f = guardedFetch({ fetch: globalThis.fetch, allowPrivate: true, maxBytes: 2048 });
    await expect(f(`${net.origin}/declared`)).rejects.toMatchObject({ code: "fetch_refused" });
    await expect(f(`${net.origin}/chunked`)).rejects.toMatchObject({ code: "fetch_refused" });
    const ok = guardedFetch({ fetch: globalThis.fetch, allowPrivate: true, maxBytes: 20_000 });
    expect((await (await ok(`${net.origin}/chunked`)).text()).length).toBe(10_000);
  });

  it("times out a slow server, and does not follow redirects", async () => {
    net = await startLoopbackServer();
    net.fallback = (req, res) => {
      if (req.url === "/redirect") {
        res.writeHead(302, { location: "http://169.254.169.254/" }).end();
        return;
      }
      // never answers
    };
    const f = guardedFetch({ fetch: globalThis.fetch, allowPrivate: true, timeoutMs: 200 });
    await expect(f(`${net.origin}/slow`)).rejects.toMatchObject({ code: "idp_timeout" });
    const r = await f(`${net.origin}/redirect`);
    expect(r.status).toBe(302);
    expect(net.hits).not.toContain("/latest");
  });
});

describe("discovery", () => {
  const doc = {
    issuer: "https://idp.example.com",
    authorization_endpoint: "https://idp.example.com/auth",
    token_endpoint: "https://idp.example.com/token",
    jwks_uri: "https://idp.example.com/jwks",
  };
  it("requires the issuer to be identical (Discovery §4.3)", () => {
    expect(validateDiscovery({ issuer: "https://idp.example.com/", preset: "generic" }, doc).issuer).toBe(doc.issuer);
    expect(codeOf(() => validateDiscovery({ issuer: "https://other.example.com", preset: "generic" }, doc))).toMatch(/^discovery_failed: "issuer"|^discovery_failed: discovery "issuer"/);
  });
  it("refuses a document with a missing endpoint", () => {
    const { jwks_uri: _j, ...partial } = doc;
    expect(codeOf(() => validateDiscovery({ issuer: doc.issuer, preset: "generic" }, partial))).toContain('"jwks_uri"');
    expect(codeOf(() => validateDiscovery({ issuer: doc.issuer, preset: "generic" }, [1]))).toContain("discovery_failed");
  });
  it("accepts the Entra {tenantid} template for the entra preset only, and resolves it to the connection's tenant", () => {
    const entra = {
      issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
      authorization_endpoint: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
      token_endpoint: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
      jwks_uri: "https://login.microsoftonline.com/organizations/discovery/v2.0/keys",
    };
    const cfg = { issuer: "https://login.microsoftonline.com/organizations/v2.0", preset: "entra" as const };
    const m = validateDiscovery(cfg, entra);
    const config = parseOidcConfig({ ...cfg, clientId: "rp", clientSecretSealed: "x", tenantId: TENANT });
    expect(effectiveMetadata(config, m).issuer).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0`);
    expect(codeOf(() => validateDiscovery({ ...cfg, preset: "generic" }, entra))).toContain("discovery_failed");
    expect(codeOf(() => validateDiscovery({ issuer: "https://evil.example.com/organizations/v2.0", preset: "entra" }, entra))).toContain("discovery_failed");
  });
});

describe("claim-mapping presets", () => {
  const claims = { sub: "s1", email: "A@x.example", email_verified: true, name: "A", groups: ["g1", "g2"] };

  it("generic: email, verified flag, name, groups", () => {
    expect(mapClaims({ preset: "generic" }, claims)).toMatchObject({
      profile: { subject: "s1", email: "A@x.example", emailVerified: true, name: "A", groups: ["g1", "g2"] },
      groupsNotDelivered: false,
    });
  });

  it("an unverified email stays unverified", () => {
    expect(mapClaims({ preset: "okta" }, { ...claims, email_verified: false }).profile.emailVerified).toBe(false);
  });

  it("entra: email from preferred_username, then upn, when email is absent (not marked verified)", () => {
    const { email: _e, ...rest } = claims;
    const p1 = mapClaims({ preset: "entra" }, { ...rest, preferred_username: "ada@contoso.example" }).profile;
    expect(p1).toMatchObject({ email: "ada@contoso.example", emailVerified: false });
    const p2 = mapClaims({ preset: "entra" }, { ...rest, upn: "bob@contoso.example" }).profile;
    expect(p2.email).toBe("bob@contoso.example");
    // The generic preset does not take a username for an email.
    expect(mapClaims({ preset: "generic" }, { ...rest, preferred_username: "ada@contoso.example" }).profile.email).toBeUndefined();
  });

  it("entra: groups overage (_claim_names / hasgroups) is reported, not mapped to an empty group list", () => {
    const { groups: _g, ...rest } = claims;
    const overage = { ...rest, _claim_names: { groups: "src1" }, _claim_sources: { src1: { endpoint: "https://graph.microsoft.com/..." } } };
    const r = mapClaims({ preset: "entra" }, overage);
    expect(r.groupsNotDelivered).toBe(true);
    expect(r.profile.groups).toBeUndefined();
    expect(r.profile.attributes).toMatchObject({ groupsNotDelivered: true });
    expect(mapClaims({ preset: "entra" }, { ...rest, hasgroups: true }).groupsNotDelivered).toBe(true);
  });

  it("entra: roles claim (app roles) feed the rules too", () => {
    const r = mapClaims({ preset: "entra" }, { sub: "s", roles: ["Gateway.Admin"], groups: ["oid-1"] });
    expect(r.profile.groups).toEqual(["oid-1", "Gateway.Admin"]);
  });

  it("entra: tid must be the connection's tenant", () => {
    expect(codeOf(() => mapClaims({ preset: "entra", tenantId: TENANT }, { ...claims, tid: "00000000-0000-0000-0000-000000000000" }))).toMatch(/^tenant_mismatch/);
    expect(codeOf(() => mapClaims({ preset: "entra", tenantId: TENANT }, { ...claims }))).toMatch(/^tenant_mismatch/);
    expect(mapClaims({ preset: "entra", tenantId: TENANT }, { ...claims, tid: TENANT.toUpperCase() }).profile.subject).toBe("s1");
  });

  it("keycloak: realm_access.roles (nested) are unioned with groups", () => {
    const r = mapClaims({ preset: "keycloak" }, { sub: "s", groups: ["/eng"], realm_access: { roles: ["admin", "offline_access"] } });
    expect(r.profile.groups).toEqual(["/eng", "admin", "offline_access"]);
  });

  it("auth0: a namespaced claim configured by the admin", () => {
    const r = mapClaims({ preset: "auth0", claims: { groups: ["https://acme.example/roles"] } }, { sub: "s", "https://acme.example/roles": ["owner"] });
    expect(r.profile.groups).toEqual(["owner"]);
  });

  it("google: the ID token's hd must be the configured hosted domain (no hd: a consumer account)", () => {
    const cfg = { preset: "google" as const, authorizationParams: { hd: "acme.example" } };
    expect(() => mapClaims(cfg, { sub: "s", hd: "other.example" })).toThrow(expect.objectContaining({ code: "hosted_domain_mismatch" }));
    expect(() => mapClaims(cfg, { sub: "s" })).toThrow(expect.objectContaining({ code: "hosted_domain_mismatch" }));
    expect(() => mapClaims({ preset: "google" }, { sub: "s", hd: "acme.example" })).toThrow(expect.objectContaining({ code: "hosted_domain_mismatch" }));
    expect(mapClaims(cfg, { sub: "s", hd: "ACME.example" }).profile.subject).toBe("s");
  });

  it("google: name from given/family when name is absent; hd kept as an attribute", () => {
    const r = mapClaims({ preset: "google", authorizationParams: { hd: "acme.example" } }, { sub: "s", email: "a@acme.example", email_verified: true, given_name: "Ada", family_name: "L", hd: "acme.example" });
    expect(r.profile).toMatchObject({ name: "Ada L", attributes: { hd: "acme.example" } });
    expect(r.profile.groups).toBeUndefined();
  });

  it("refuses a missing or non-string subject, ignores a non-email email", () => {
    expect(codeOf(() => mapClaims({ preset: "generic" }, { email: "a@b.c" }))).toMatch(/^claims_invalid/);
    expect(codeOf(() => mapClaims({ preset: "generic" }, { sub: 42 }))).toMatch(/^claims_invalid/);
    expect(mapClaims({ preset: "generic" }, { sub: "s", email: "not-an-email" }).profile.email).toBeUndefined();
  });
});
