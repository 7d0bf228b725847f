// The ACS through convex/http.ts (convex-test), with a samlify IdP signing real responses:
// /sso/authorize → AuthnRequest → IdP → POST /acs → code → /oauth/token. Refusals outnumber the happy paths;
// each asserts its trace code and that nothing but the trace row was written.
import { beforeEach, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { APP, exchange, newGateway, pkcePair, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";
import { certificateToPem } from "../../src/saml/x509";
import { decodeRedirect, verifyRedirect } from "../../src/saml/redirectBinding";
import { expectTracedFailure, postAcs, setupSaml, startLogin, testIdp, IDP_BASE } from "./samlFlow";
import { createTestSamlIdp } from "../../local/samlIdp";

let t: TestGateway;
let connectionId: Id<"connections">;
let groupId: Id<"groups">;
const idp = testIdp();
const ADA = { email: "ada@acme.example", name: "Ada Lovelace", groups: ["admins", "engineering"] };

beforeEach(async () => {
  t = newGateway();
  ({ connectionId, groupId } = await setupSaml(t));
});

async function loginResponse(opts: Partial<Parameters<typeof idp.respond>[0]> = {}) {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, ...opts });
  return { s, samlResponse };
}

describe("SP-initiated happy paths", () => {
  it("authorize → AuthnRequest (HTTP-Redirect) → IdP → ACS → code → token with group and role", async () => {
    const { s, samlResponse } = await loginResponse();
    expect(s.acsUrl).toBe(`https://gw.example.test/sso/saml/${connectionId}/acs`);
    expect(s.spEntityId).toBe(`https://gw.example.test/sso/saml/${connectionId}/metadata`);
    expect(new TextEncoder().encode(s.relayState).length).toBeLessThanOrEqual(80);
    const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin + to.pathname).toBe(APP.redirectUri);
    expect(to.searchParams.get("state")).toBe("st-1");
    const tok = await exchange(t, to.searchParams.get("code")!, s.verifier);
    expect(tok.status).toBe(200);
    const body = await tok.json();
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ email: "ada@acme.example", name: "Ada Lovelace", group: "acme", role: "admin", auth_method: "saml", connection_id: connectionId });
    // The code is single use.
    expect((await exchange(t, to.searchParams.get("code")!, s.verifier)).status).toBe(400);
    // SLO link and replay-cache row were written in the same transaction.
    const rows = await t.run(async (ctx) => ({
      links: await ctx.db.query("samlSessions").collect(),
      seen: await ctx.db.query("samlSeenAssertions").collect(),
      reqs: await ctx.db.query("samlRequests").collect(),
    }));
    expect(rows.links).toHaveLength(1);
    expect(rows.links[0]!.nameId).toBe("ada@acme.example");
    expect(rows.seen).toHaveLength(1);
    expect(rows.reqs[0]!.usedAt).toBeTypeOf("number");
  });

  it("Okta-style response (Response and Assertion both signed) is accepted; no RelayState falls back to pending ids", async () => {
    const { samlResponse } = await loginResponse({ signResponse: true });
    const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toContain("code=");
  });

  it("JIT: no role rule matched → the group's default role", async () => {
    const { s, samlResponse } = await loginResponse({ user: { email: "bob@acme.example", groups: ["sales"] } });
    const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
    const tok = await (await exchange(t, new URL(res.headers.get("location")!).searchParams.get("code")!, s.verifier)).json();
    expect(decodeJwt(tok.access_token)).toMatchObject({ role: "member", email: "bob@acme.example" });
  });
});

describe("ACS refusals (trace code, nothing else written)", () => {
  it("InResponseTo is single use: a second, freshly signed response to the same request is refused", async () => {
    const { s, samlResponse } = await loginResponse();
    expect((await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState })).status).toBe(302);
    const again = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: again, RelayState: s.relayState });
    await expectTracedFailure(t, res, "in_response_to_mismatch", before);
  });

  it("the very same response posted twice is refused", async () => {
    const { s, samlResponse } = await loginResponse();
    expect((await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState })).status).toBe(302);
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
    await expectTracedFailure(t, res, "in_response_to_mismatch", before);
  });

  it("assertion replay cache: an assertion ID seen before is refused even inside a new, valid response", async () => {
    const first = await loginResponse({ assertionId: "_fixed-assertion-id" });
    expect((await postAcs(t, connectionId, { SAMLResponse: first.samlResponse, RelayState: first.s.relayState })).status).toBe(302);
    const second = await loginResponse({ assertionId: "_fixed-assertion-id" });
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: second.samlResponse, RelayState: second.s.relayState });
    const { html } = await expectTracedFailure(t, res, "replayed_assertion", before);
    expect(html).not.toContain(second.samlResponse.slice(0, 40));
    expect(html).not.toContain("ada@acme.example");
  });

  it("IdP-initiated (unsolicited) is refused by default", async () => {
    const s = await startLogin(t, connectionId);
    const unsolicited = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: null, user: ADA });
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: unsolicited }), "unsolicited_response", before);
  });

  it("RelayState of another pending request does not pair with this response", async () => {
    const a = await loginResponse();
    const b = await startLogin(t, connectionId, "st-2");
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: a.samlResponse, RelayState: b.relayState });
    await expectTracedFailure(t, res, "in_response_to_mismatch", before);
  });

  it("a response for connection A posted to connection B's ACS is refused (audience/destination)", async () => {
    const other = await t.action(internal.saml.admin.createConnection, {
      groupId,
      name: "Second IdP",
      idpMetadataXml: idp.metadataXml,
      config: { mapping: { preset: "okta" } },
    });
    const { samlResponse } = await loginResponse();
    const before = await snapshot(t);
    const res = await postAcs(t, other, { SAMLResponse: samlResponse });
    const code = ((await snapshot(t)).ssoTraces.at(-1) as { code: string }).code;
    // Whichever of these checks fires first, the response is refused and nothing but the trace is written.
    expect(["destination_mismatch", "audience_mismatch", "recipient_mismatch"]).toContain(code);
    await expectTracedFailure(t, res, code, before);
  });

  it("a response signed by another IdP (same entity ID, other key) is refused", async () => {
    const evil = createTestSamlIdp({ baseUrl: IDP_BASE });
    const s = await startLogin(t, connectionId);
    const forged = await evil.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: forged, RelayState: s.relayState });
    const after = await snapshot(t);
    const trace = (after.ssoTraces.at(-1) as { code: string }).code;
    expect(["untrusted_certificate", "signature_invalid"]).toContain(trace);
    await expectTracedFailure(t, res, trace, before);
  });

  it("wrong audience is refused", async () => {
    const { s, samlResponse } = await loginResponse({ audience: "https://someone-else.example/sp" });
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState }), "audience_mismatch", before);
  });

  it("expired assertion is refused", async () => {
    const { s, samlResponse } = await loginResponse({ now: Date.now() - 3600_000 });
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState }), "expired", before);
  });

  it("unknown or malformed connection id → 404 and nothing written, not even a trace (issue 9 §8)", async () => {
    const { samlResponse } = await loginResponse();
    for (const id of ["nope", "k57abc"]) {
      const before = await snapshot(t);
      expect((await postAcs(t, id, { SAMLResponse: samlResponse })).status).toBe(404);
      expect(await snapshot(t)).toEqual(before);
    }
  });

  it("disabled connection → connection_disabled", async () => {
    const { s, samlResponse } = await loginResponse();
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, status: "disabled" });
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState }), "connection_disabled", before);
  });

  it("form problems: missing SAMLResponse, repeated SAMLResponse, over-long RelayState, wrong content type", async () => {
    const { samlResponse } = await loginResponse();
    let before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { RelayState: "x" }), "form_invalid", before);
    before = await snapshot(t);
    const twice = await t.fetch(`/sso/saml/${connectionId}/acs`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `SAMLResponse=${encodeURIComponent(samlResponse)}&SAMLResponse=${encodeURIComponent(samlResponse)}`,
    });
    await expectTracedFailure(t, twice, "form_invalid", before);
    before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: "r".repeat(81) }), "relay_state_invalid", before);
    before = await snapshot(t);
    const json = await t.fetch(`/sso/saml/${connectionId}/acs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ SAMLResponse: samlResponse }) });
    await expectTracedFailure(t, json, "form_invalid", before);
  });

  it("garbage SAMLResponse → a validation code, never a 500", async () => {
    await startLogin(t, connectionId);
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: "PHNhbWxwOlJlc3BvbnNlIC8+" /* <samlp:Response /> */ });
    await expectTracedFailure(t, res, "malformed_response", before);
  });

  it("inactive membership: sign-in refused, the replay/InResponseTo consumption rolled back", async () => {
    // First login creates the membership; deactivate it; the next login is refused as a whole.
    const first = await loginResponse();
    expect((await postAcs(t, connectionId, { SAMLResponse: first.samlResponse, RelayState: first.s.relayState })).status).toBe(302);
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("memberships").collect())[0]!;
      await ctx.db.patch(m._id, { status: "inactive" });
    });
    const second = await loginResponse();
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: second.samlResponse, RelayState: second.s.relayState }), "signin_failed", before);
  });
});

describe("IdP-initiated, opt-in", () => {
  it("config: enabling needs the app, and a login-initiation URL on that app's origin", async () => {
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    const attempt = (idpInitiated: unknown) =>
      t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, idpInitiated } }).then(
        () => "ok",
        (e) => String(e.data?.path ?? e.message),
      );
    expect(await attempt({ enabled: true, initiateLoginUri: "https://app.example.test/login" })).toBe("idpInitiated.appClientId");
    expect(await attempt({ enabled: true, appClientId: "nope", initiateLoginUri: "https://app.example.test/login" })).toBe("idpInitiated.appClientId");
    expect(await attempt({ enabled: true, appClientId: APP.clientId, initiateLoginUri: "https://evil.example/login" })).toBe("idpInitiated.initiateLoginUri");
    expect(await attempt({ enabled: true, appClientId: APP.clientId, initiateLoginUri: "https://app.example.test/login" })).toBe("ok");
  });

  it("when enabled: sends the browser to the app's login-initiation URL (no session minted), replay-protected", async () => {
    await t.mutation(internal.saml.admin.updateConnection, {
      connectionId,
      config: {
        ...(await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config)),
        idpInitiated: { enabled: true, appClientId: APP.clientId, initiateLoginUri: "https://app.example.test/login" },
      },
    });
    const s = await startLogin(t, connectionId);
    const unsolicited = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: null, user: ADA });
    const sessionsBefore = (await snapshot(t)).sessions!.length;
    const res = await postAcs(t, connectionId, { SAMLResponse: unsolicited });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin + to.pathname).toBe("https://app.example.test/login");
    expect(to.searchParams.get("connection")).toBe(connectionId);
    expect(to.searchParams.get("iss")).toBe("https://gw.example.test");
    expect((await snapshot(t)).sessions!.length).toBe(sessionsBefore);
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: unsolicited }), "replayed_assertion", before);
  });
});

describe("AuthnRequest bindings through /sso/authorize", () => {
  it("signing on: the Redirect query signature verifies with the signing certificate from our SP metadata", async () => {
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, sp: { ...cfg.sp, signAuthnRequests: true } } });
    const s = await startLogin(t, connectionId);
    const md = await (await t.fetch(`/sso/saml/${connectionId}/metadata`)).text();
    expect(md).toContain('AuthnRequestsSigned="true"');
    const cert = /<md:KeyDescriptor use="signing">.*?<ds:X509Certificate>([^<]+)</.exec(md)![1]!;
    const v = await verifyRedirect(s.location.search, [cert]);
    expect(v.signed).toBe(true);
    // A tampered RelayState breaks the signature.
    await expect(verifyRedirect(s.location.search.replace(/RelayState=[^&]+/, "RelayState=x"), [cert])).rejects.toMatchObject({ code: "redirect_bad_signature" });
  });

  it("HTTP-POST binding: an auto-submitting form carrying SAMLRequest and the opaque RelayState; the IdP accepts it", async () => {
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, sp: { ...cfg.sp, binding: "post" } } });
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s", code_challenge: challenge, code_challenge_method: "S256", connection: connectionId });
    const res = await t.fetch(`/sso/authorize?${q}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`action="${IDP_BASE}/sso"`);
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]+)"`).exec(html)![1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
    const xml = Buffer.from(field("SAMLRequest"), "base64").toString();
    expect(xml).toContain(`AssertionConsumerServiceURL="https://gw.example.test/sso/saml/${connectionId}/acs"`);
    expect(field("RelayState")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const idpPage = await idp.handle(new Request(`${IDP_BASE}/sso`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ SAMLRequest: field("SAMLRequest"), RelayState: field("RelayState") }) }));
    expect(await idpPage!.text()).toContain('name="groups"');
  });
});

describe("presets through the ACS", () => {
  it("Entra preset: subject = objectidentifier (stable across a UPN/email change), groups claim → role rule", async () => {
    const t2 = newGateway();
    t = t2;
    const { connectionId: entraId } = await setupSaml(t2, { config: { mapping: { preset: "entra" } } });
    await t2.mutation(internal.saml.admin.updateConnection, { connectionId: entraId, roleRules: [{ value: "5f0c-admins-object-id", role: "admin" }] });
    connectionId = entraId;
    const claims = (email: string) => ({
      "http://schemas.microsoft.com/identity/claims/objectidentifier": ["0b1c2d3e-oid"],
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": [email],
      "http://schemas.microsoft.com/identity/claims/displayname": ["Ada L."],
      "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": ["5f0c-admins-object-id", "other"],
    });
    const login = async (email: string) => {
      const s = await startLogin(t2, entraId);
      const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: { email }, attributes: claims(email) });
      const res = await postAcs(t2, entraId, { SAMLResponse: samlResponse, RelayState: s.relayState });
      expect(res.status).toBe(302);
      const tok = await (await exchange(t2, new URL(res.headers.get("location")!).searchParams.get("code")!, s.verifier)).json();
      return decodeJwt(tok.access_token);
    };
    const first = await login("ada@contoso.example");
    expect(first).toMatchObject({ role: "admin", name: "Ada L.", email: "ada@contoso.example" });
    const renamed = await login("ada.lovelace@contoso.example");
    expect(renamed.sub).toBe(first.sub); // same user: the subject is the object ID, not the email
    const identities = await t2.run((ctx) => ctx.db.query("identities").collect());
    expect(identities.map((i) => i.subject)).toEqual(["0b1c2d3e-oid"]);
  });

  it("Entra preset without objectidentifier: subject_missing, nothing written", async () => {
    const t2 = newGateway();
    t = t2;
    const { connectionId: entraId } = await setupSaml(t2, { config: { mapping: { preset: "entra" } } });
    const s = await startLogin(t2, entraId);
    const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
    const before = await snapshot(t2);
    await expectTracedFailure(t2, await postAcs(t2, entraId, { SAMLResponse: samlResponse, RelayState: s.relayState }), "subject_missing", before);
  });
});

describe("start failures", () => {
  it("signing required but no SP signing key: error page with a trace, no pending SAML request stored", async () => {
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, sp: { ...cfg.sp, signAuthnRequests: true } } });
    await t.run(async (ctx) => {
      for (const k of await ctx.db.query("samlSpKeys").collect()) if (k.use === "signing") await ctx.db.delete(k._id);
    });
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s", code_challenge: challenge, code_challenge_method: "S256", connection: connectionId });
    const res = await t.fetch(`/sso/authorize?${q}`);
    expect(res.status).toBe(400);
    const ref = /<code id="ref">([^<]+)</.exec(await res.text())![1]!;
    expect((await t.query(internal.traces.byRef, { ref }))?.code).toBe("sp_key_unavailable");
    expect(await t.run((ctx) => ctx.db.query("samlRequests").collect())).toHaveLength(0);
  });
});

describe("/sso/authorize picks the SAML connection", () => {
  const authorize = async (extra: Record<string, string>) => {
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s", code_challenge: challenge, code_challenge_method: "S256", ...extra });
    return t.fetch(`/sso/authorize?${q}`, { redirect: "manual" });
  };
  it("by group slug and by email domain (login_hint); the hint reaches the IdP only when sendLoginHint is on", async () => {
    for (const extra of [{ group: "acme" }, { login_hint: "ada@acme.example" }] as Record<string, string>[]) {
      const res = await authorize(extra);
      expect(res.status).toBe(302);
      const d = await decodeRedirect(new URL(res.headers.get("location")!).search);
      expect(d.xml).not.toContain("<saml:Subject>");
    }
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, sp: { ...cfg.sp, sendLoginHint: true } } });
    const res = await authorize({ login_hint: "ada@acme.example" });
    const d = await decodeRedirect(new URL(res.headers.get("location")!).search);
    expect(d.xml).toContain('<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">ada@acme.example</saml:NameID></saml:Subject>');
  });
});

describe("IdP certificate rotation", () => {
  it("two trusted certificates at once: a response signed with either is accepted; dropping one refuses its responses", async () => {
    const next = createTestSamlIdp({ baseUrl: IDP_BASE });
    const cfg = await t.run(async (ctx) => (await ctx.db.get(connectionId))!.config);
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, idp: { ...cfg.idp, certificates: [idp.certificate, next.certificate] } } });
    for (const signer of [idp, next]) {
      const s = await startLogin(t, connectionId);
      const r = await signer.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
      expect((await postAcs(t, connectionId, { SAMLResponse: r, RelayState: s.relayState })).status).toBe(302);
    }
    await t.mutation(internal.saml.admin.updateConnection, { connectionId, config: { ...cfg, idp: { ...cfg.idp, certificates: [next.certificate] } } });
    const history = await t.run((ctx) => ctx.db.query("samlCertChanges").collect());
    expect(history.map((h) => h.change)).toEqual(["added", "added", "removed"]);
    const s = await startLogin(t, connectionId);
    const old = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
    const before = await snapshot(t);
    const res = await postAcs(t, connectionId, { SAMLResponse: old, RelayState: s.relayState });
    const code = ((await snapshot(t)).ssoTraces.at(-1) as { code: string }).code;
    expect(["untrusted_certificate", "signature_invalid"]).toContain(code);
    await expectTracedFailure(t, res, code, before);
  });
});

describe("signed AuthnRequest over HTTP-POST", () => {
  it("POST-only IdP + signing: the enveloped signature verifies with xmlsec1 against the SP metadata certificate", async () => {
    const t2 = newGateway();
    const groupId2 = await seedGroupAndApp(t2);
    const id = await t2.action(internal.saml.admin.createConnection, {
      groupId: groupId2,
      name: "POST only",
      config: {
        idp: { entityId: idp.entityId, ssoUrls: { post: `${IDP_BASE}/sso` }, certificates: [idp.certificate] },
        sp: { signAuthnRequests: true },
        mapping: { preset: "okta" },
      },
    });
    const { challenge } = await pkcePair();
    const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, state: "s", code_challenge: challenge, code_challenge_method: "S256", connection: id });
    const res = await t2.fetch(`/sso/authorize?${q}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const b64 = /name="SAMLRequest" value="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
    const xml = Buffer.from(b64, "base64").toString();
    expect(xml).toMatch(/<saml:Issuer>[^<]+<\/saml:Issuer><ds:Signature/);
    const md = await (await t2.fetch(`/sso/saml/${id}/metadata`)).text();
    const cert = /<md:KeyDescriptor use="signing">.*?<ds:X509Certificate>([^<]+)</.exec(md)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "authn-sig-"));
    writeFileSync(join(dir, "req.xml"), xml);
    writeFileSync(join(dir, "sp.pem"), certificateToPem(cert));
    const verify = (file: string) =>
      spawnSync("xmlsec1", ["--verify", "--enabled-key-data", "x509", "--pubkey-cert-pem", join(dir, "sp.pem"), "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest", join(dir, file)], { encoding: "utf8" });
    expect(verify("req.xml").status).toBe(0);
    writeFileSync(join(dir, "tampered.xml"), xml.replace(/AssertionConsumerServiceURL="[^"]+"/, 'AssertionConsumerServiceURL="https://evil.example/acs"'));
    expect(verify("tampered.xml").status).not.toBe(0);
    // The test IdP still reads it.
    const page = await idp.handle(new Request(`${IDP_BASE}/sso`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ SAMLRequest: b64 }) }));
    expect(await page!.text()).toContain('name="groups"');
  });
});
