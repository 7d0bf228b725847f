// Shared by test/saml/validate*.test.ts and attacks*.test.ts: the fixture manifest, keys, and the
// expected-values object a connection would pass to validateSamlResponse.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SamlExpected } from "../../src/saml/policy";

export const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "saml");

export interface ManifestEntry {
  file: string;
  shape: "okta" | "entra" | "google" | "adfs";
  signer: "xmlsec1" | "samlify";
  note: string;
  expected?: Partial<{ wantAssertionsSigned: boolean; allowSha1: boolean; allowIdpInitiated: boolean; decryptionKeys: string[]; certs: string[] }>;
  result: { ok: true; nameId: string } | { ok: false; code: string };
}
interface Manifest {
  clock: string;
  connections: Record<string, { acsUrl: string; spEntityId: string; idpEntityId: string; certs: string[]; requestIds: string[] }>;
  fixtures: ManifestEntry[];
}

export const manifest: Manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8"));
/** The fixtures' clock + 60 s. */
export const NOW = Date.parse(manifest.clock) + 60_000;

export const key = (name: string) => readFileSync(join(FIXTURES, "keys", `${name}.key`), "utf8");
export const cert = (name: string) => readFileSync(join(FIXTURES, "keys", `${name}.crt`), "utf8");
export const xmlOf = (file: string) => readFileSync(join(FIXTURES, file), "utf8");
export const b64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

export function expectedFor(shape: string, over: ManifestEntry["expected"] & Partial<SamlExpected> = {}): SamlExpected {
  const c = manifest.connections[shape]!;
  const { certs, decryptionKeys, ...rest } = over;
  return {
    acsUrl: c.acsUrl,
    spEntityId: c.spEntityId,
    idpEntityId: c.idpEntityId,
    idpCertificates: (certs ?? c.certs).map(cert),
    requestIds: c.requestIds,
    allowIdpInitiated: false,
    wantAssertionsSigned: true,
    allowSha1: false,
    clockSkewSec: 180,
    decryptionKeys: (decryptionKeys ?? []).map(key),
    ...rest,
  };
}

export function fixture(file: string): ManifestEntry {
  const e = manifest.fixtures.find((f) => f.file === file);
  if (!e) throw new Error(`no fixture ${file}`);
  return e;
}
