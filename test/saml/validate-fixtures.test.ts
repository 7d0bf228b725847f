// The committed corpus is what scripts/saml-fixtures.ts makes, and its signatures are valid for an
// independent verifier (xmlsec1). Needs xmlsec1: skipped with a message when it is missing locally,
// never in CI (CI=true makes a missing binary a failure).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, manifest } from "./validate-helpers";

const hasXmlsec1 = spawnSync("xmlsec1", ["--version"]).status === 0;
if (!hasXmlsec1 && process.env.CI) throw new Error("xmlsec1 is required in CI (apt-get install xmlsec1)");
if (!hasXmlsec1) console.warn("test/saml/validate-fixtures.test.ts skipped: xmlsec1 is not installed");

describe.skipIf(!hasXmlsec1)("fixture corpus provenance (xmlsec1)", () => {
  const out = mkdtempSync(join(tmpdir(), "saml-fixtures-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("the generator reproduces every signed, unencrypted fixture byte for byte", () => {
    execFileSync("npx", ["tsx", join(import.meta.dirname, "..", "..", "scripts", "saml-fixtures.ts")], { env: { ...process.env, SAML_FIXTURES_OUT: out }, stdio: "ignore" });
    const deterministic = manifest.fixtures.filter((f) => !f.file.startsWith("adfs/encrypted"));
    expect(deterministic.length).toBeGreaterThan(20);
    for (const f of deterministic) {
      expect(readFileSync(join(out, f.file), "utf8"), f.file).toBe(readFileSync(join(FIXTURES, f.file), "utf8"));
    }
  }, 60_000);

  it("xmlsec1 verifies the signatures of the accepted, unencrypted fixtures with the IdP certificate", () => {
    const dir = mkdtempSync(join(tmpdir(), "saml-verify-"));
    try {
      const accepted = manifest.fixtures.filter((f) => f.result.ok && !f.file.includes("encrypted"));
      for (const f of accepted) {
        const conn = manifest.connections[f.shape]!;
        const xml = readFileSync(join(FIXTURES, f.file), "utf8");
        // Verify every signature: xmlsec1 checks the first Signature node; strip the ones before it in turn.
        const sigs = xml.match(/<(ds:)?Signature\b[\s\S]*?<\/(ds:)?Signature>/g) ?? [];
        expect(sigs.length, f.file).toBeGreaterThan(0);
        for (let i = 0; i < sigs.length; i++) {
          // Removing an outer (Response) signature leaves the inner (Assertion) one verifiable: enveloped
          // signatures do not cover other signatures' parents' siblings.
          const doc = sigs.slice(0, i).reduce((x, s) => x.replace(s, ""), xml);
          const file = join(dir, "in.xml");
          writeFileSync(file, doc);
          const certs = (f.expected?.certs ?? conn.certs).map((c) => join(FIXTURES, "keys", `${c}.crt`));
          const ok = certs.some(
            (crt) =>
              spawnSync("xmlsec1", ["--verify", "--pubkey-cert-pem", crt, "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response", file]).status === 0,
          );
          expect(ok, `${f.file} signature #${i + 1}`).toBe(true);
        }
      }
      // Control: the attacker-signed fixtures do not verify with the IdP certificate.
      for (const file of ["okta/attacker-signed-embedded-cert.xmlsec1.xml", "okta/attacker-signed-no-keyinfo.xmlsec1.xml"]) {
        const status = spawnSync("xmlsec1", ["--verify", "--pubkey-cert-pem", join(FIXTURES, "keys", "idp-okta.crt"), "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response", join(FIXTURES, file)]).status;
        expect(status, file).not.toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
