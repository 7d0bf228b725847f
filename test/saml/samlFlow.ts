// Helpers for SAML tests through convex/http.ts: a samlify test IdP, a SAML connection made from its metadata,
// and the browser's steps (/sso/authorize → IdP → ACS).
import { expect } from "vitest";
import { DOMParser } from "@xmldom/xmldom";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { createTestSamlIdp, type TestSamlIdp } from "../../local/samlIdp";
import { decodeRedirect } from "../../src/saml/redirectBinding";
import { isSamlTraceCode } from "../../src/saml/spErrors";
import { APP, expectOnlyTraceWritten, form, pkcePair, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";

export const IDP_BASE = "https://idp.example.test/saml";

let cachedIdp: TestSamlIdp | undefined;
/** One IdP per test file (RSA key generation is the slow part). */
export function testIdp(): TestSamlIdp {
  cachedIdp ??= createTestSamlIdp({ baseUrl: IDP_BASE });
  return cachedIdp;
}

export const DEMO_MAPPING = { preset: "custom", email: ["email"], name: ["name"], groups: ["groups"] } as const;

export async function setupSaml(t: TestGateway, opts: { config?: Record<string, unknown>; idp?: TestSamlIdp; name?: string } = {}) {
  const groupId = await seedGroupAndApp(t);
  const idp = opts.idp ?? testIdp();
  const connectionId = await t.action(internal.saml.admin.createConnection, {
    groupId,
    name: opts.name ?? "Test IdP",
    idpMetadataXml: idp.metadataXml,
    config: { mapping: DEMO_MAPPING, ...opts.config },
    roleRules: [{ value: "admins", role: "admin" }],
  });
  return { groupId, connectionId, idp };
}

export interface StartedLogin {
  requestId: string;
  acsUrl: string;
  spEntityId: string;
  relayState: string;
  verifier: string;
  location: URL;
}

export async function startLogin(t: TestGateway, connectionId: Id<"connections">, state = "st-1"): Promise<StartedLogin> {
  const { verifier, challenge } = await pkcePair();
  const q = new URLSearchParams({
    client_id: APP.clientId,
    redirect_uri: APP.redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
    connection: connectionId,
  });
  const res = await t.fetch(`/sso/authorize?${q}`, { redirect: "manual" });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  expect(location.origin + location.pathname).toBe(`${IDP_BASE}/sso`);
  const d = await decodeRedirect(location.search);
  const root = new DOMParser().parseFromString(d.xml, "text/xml").documentElement!;
  return {
    requestId: root.getAttribute("ID")!,
    acsUrl: root.getAttribute("AssertionConsumerServiceURL")!,
    spEntityId: root.getElementsByTagNameNS("urn:oasis:names:tc:SAML:2.0:assertion", "Issuer")[0]!.textContent!,
    relayState: d.relayState!,
    verifier,
    location,
  };
}

export function postAcs(t: TestGateway, connectionId: string, fields: Record<string, string>) {
  return t.fetch(`/sso/saml/${connectionId}/acs`, { ...form(fields), redirect: "manual" });
}

/** Table → row count, for "nothing but a trace was written". */
export async function counts(t: TestGateway): Promise<Record<string, number>> {
  const snap = await snapshot(t);
  return Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, v.length]));
}

/** Assert the response is the error page, with a reference that names a trace row of `code`; returns the trace. */
export async function expectTracedFailure(t: TestGateway, res: Response, code: string, before: Record<string, unknown[]>) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const html = await res.text();
  const ref = html.match(/<code id="ref">([^<]+)<\/code>/)?.[1];
  expect(ref, "error page carries a reference").toBeTruthy();
  const trace = await t.query(internal.traces.byRef, { ref: ref! });
  expect(trace?.code).toBe(code);
  expect(isSamlTraceCode(code), `${code} is in the closed set`).toBe(true);
  expect(trace?.protocol).toBe("saml");
  // Nothing but the trace row (and its signin.failed event) was written.
  expectOnlyTraceWritten(before, await snapshot(t));
  return { trace: trace!, html };
}
