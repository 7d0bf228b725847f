// The "use node" internal action (src/gateway/saml/node.ts, re-exported by convex/samlNode.ts) through convex-test: same result object as the
// core, Convex-serialisable, args validated, and it writes nothing (replay/InResponseTo are the SP
// mutation's job).
import { convexTest } from "convex-test";
import { describe, expect, it } from "vitest";
import { internal } from "../../convex/_generated/api";
import { asComponent, register } from "../../src/test";
import { modules } from "../helpers";
import { b64, expectedFor, NOW, xmlOf } from "./validate-helpers";
const TABLES = ["groups", "domains", "apps", "connections", "users", "identities", "memberships", "authRequests", "sessions", "refreshTokens", "authCodes", "events", "ssoTraces"] as const;

function newApp() {
  const t = convexTest(undefined, modules);
  register(t);
  return t;
}

async function rowCount(t: ReturnType<typeof convexTest>) {
  return asComponent(t).run(async (ctx) => {
    let n = 0;
    for (const table of TABLES) n += (await ctx.db.query(table as never).collect()).length;
    return n;
  });
}

describe("internal.samlNode.validateResponse", () => {
  it("accepts the Okta fixture and returns the assertion", async () => {
    const t = newApp();
    const r = await t.action(internal.samlNode.validateResponse, { samlResponse: b64(xmlOf("okta/response-and-assertion-signed.xmlsec1.xml")), now: NOW, expected: expectedFor("okta") });
    expect(r).toMatchObject({ ok: true, assertion: { id: "_assert_okta_ok", nameId: "ada@acme.example", inResponseTo: "_req_okta_1" } });
  });

  it("attacks come back as codes and nothing is written", async () => {
    const t = newApp();
    const before = await rowCount(t);
    const xml = xmlOf("okta/attacker-signed-embedded-cert.xmlsec1.xml");
    const r1 = await t.action(internal.samlNode.validateResponse, { samlResponse: b64(xml), now: NOW, expected: expectedFor("okta") });
    const r2 = await t.action(internal.samlNode.validateResponse, { samlResponse: b64(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`), now: NOW, expected: expectedFor("okta") });
    const r3 = await t.action(internal.samlNode.validateResponse, { samlResponse: "%%%", now: NOW, expected: expectedFor("okta") });
    expect([r1, r2, r3].map((r) => (r.ok ? "ok" : r.code))).toEqual(["untrusted_certificate", "dtd_forbidden", "malformed_response"]);
    expect(await rowCount(t)).toBe(before);
  });

  it("rejects arguments that do not match its validator", async () => {
    const t = newApp();
    await expect(t.action(internal.samlNode.validateResponse, { samlResponse: 1, now: NOW, expected: expectedFor("okta") } as never)).rejects.toThrow();
  });
});
