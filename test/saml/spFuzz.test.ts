// Bad input never escapes as an unexpected exception or a 500: property tests over the SP's parsers and the
// ACS / SLO endpoints (fast-check; bounded runs so the suite stays quick on a shared machine).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parseIdpMetadata, MetadataError } from "../../src/saml/idpMetadata";
import { parseLogoutMessage, MessageError } from "../../src/saml/messages";
import { decodeRedirect, RedirectBindingError } from "../../src/saml/redirectBinding";
import { parseSamlConfig, SamlConfigError } from "../../src/saml/config";
import { expectOnlyTraceWritten, newGateway, snapshot } from "../helpers";
import { setupSaml } from "./samlFlow";
import { isSamlTraceCode } from "../../src/saml/spErrors";

const okta = readFileSync(new URL("../../fixtures/saml/metadata/okta.xml", import.meta.url), "utf8");

/** A random edit of a string: delete / insert / replace a slice. */
const mutated = (base: string) =>
  fc.tuple(fc.nat(base.length), fc.nat(40), fc.string({ maxLength: 20 })).map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(at + del));

describe("parsers only throw their own typed errors", () => {
  it("parseIdpMetadata on mutated metadata", () => {
    fc.assert(
      fc.property(mutated(okta), (xml) => {
        try {
          parseIdpMetadata(xml);
        } catch (e) {
          expect(e).toBeInstanceOf(MetadataError);
        }
      }),
      { numRuns: 300 },
    );
  });
  it("parseLogoutMessage on arbitrary and mutated input", () => {
    const base = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" IssueInstant="2026-11-25T03:00:00Z"><saml:Issuer>i</saml:Issuer><saml:NameID>n</saml:NameID></samlp:LogoutRequest>`;
    fc.assert(
      fc.property(fc.oneof(fc.string(), mutated(base)), (xml) => {
        try {
          parseLogoutMessage(xml);
        } catch (e) {
          expect(e).toBeInstanceOf(MessageError);
        }
      }),
      { numRuns: 300 },
    );
  });
  it("decodeRedirect on arbitrary query strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (q) => {
        try {
          await decodeRedirect(q);
        } catch (e) {
          expect(e).toBeInstanceOf(RedirectBindingError);
        }
      }),
      { numRuns: 200 },
    );
  });
  it("parseSamlConfig on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseSamlConfig(v);
        } catch (e) {
          expect(e).toBeInstanceOf(SamlConfigError);
          expect((e as SamlConfigError).issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("endpoints: random posts give a 4xx page and write only a trace", () => {
  it("ACS and SLO", async () => {
    const t = newGateway();
    const { connectionId } = await setupSaml(t, { config: { slo: { enabled: true } } });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("acs", "slo"),
        fc.dictionary(fc.constantFrom("SAMLResponse", "SAMLRequest", "RelayState", "x"), fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 400 }))),
        async (endpoint, fields) => {
          const before = await snapshot(t);
          const res = await t.fetch(`/sso/saml/${connectionId}/${endpoint}`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(fields).toString(),
          });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          const trace = expectOnlyTraceWritten(before, await snapshot(t));
          expect(isSamlTraceCode(trace.code)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
