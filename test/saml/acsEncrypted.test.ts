// Encrypted assertions with the SP's own key (generated per connection, sealed at rest), and encryption-key
// rotation: while a "next" key exists both keys decrypt; after "promote" the old key is no longer published but
// still decrypts (the overlap); after "retire" it no longer does.
import { beforeEach, describe, expect, it } from "vitest";
import { DOMParser } from "@xmldom/xmldom";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { newGateway, snapshot, type TestGateway } from "../helpers";
import { expectTracedFailure, postAcs, setupSaml, startLogin, testIdp } from "./samlFlow";

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const idp = testIdp();
const ADA = { email: "ada@acme.example", groups: ["admins"] };
let t: TestGateway;
let connectionId: Id<"connections">;

beforeEach(async () => {
  t = newGateway();
  ({ connectionId } = await setupSaml(t, { config: { sp: { encryptAssertions: true } } }));
});

async function encryptionCerts(): Promise<string[]> {
  const res = await t.fetch(`/sso/saml/${connectionId}/metadata`);
  const root = new DOMParser().parseFromString(await res.text(), "text/xml").documentElement!;
  return Array.from(root.getElementsByTagNameNS(MD, "KeyDescriptor"))
    .filter((k) => k.getAttribute("use") === "encryption")
    .map((k) => k.textContent!.trim());
}

async function loginEncryptedTo(cert: string) {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, encryptTo: cert });
  expect(Buffer.from(samlResponse, "base64").toString()).toContain("EncryptedAssertion");
  return { s, res: await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState }) };
}

describe("encrypted assertions", () => {
  it("the SP private key is stored sealed, never in clear", async () => {
    const keys = await t.run((ctx) => ctx.db.query("samlSpKeys").collect());
    expect(keys.map((k) => k.use).sort()).toEqual(["encryption", "signing"]);
    for (const k of keys) {
      expect(k.sealedPrivateKey.startsWith("v1.")).toBe(true);
      expect(k.sealedPrivateKey).not.toContain("PRIVATE KEY");
    }
  });

  it("an assertion encrypted to the published certificate is decrypted and signs in", async () => {
    const [cert] = await encryptionCerts();
    const { res } = await loginEncryptedTo(cert!);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toContain("code=");
  });

  it("rotation: old and next keys both decrypt; after promote the old one still decrypts, unpublished; after retire it is refused", async () => {
    const [oldCert] = await encryptionCerts();
    await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "add_next" });
    const both = await encryptionCerts();
    expect(both).toHaveLength(2);
    const newCert = both.find((c) => c !== oldCert)!;
    expect((await loginEncryptedTo(oldCert!)).res.status).toBe(302);
    expect((await loginEncryptedTo(newCert)).res.status).toBe(302);

    await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "promote" });
    expect(await encryptionCerts()).toEqual([newCert]);
    expect((await loginEncryptedTo(newCert)).res.status).toBe(302);
    expect((await loginEncryptedTo(oldCert!)).res.status).toBe(302);

    await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "retire" });
    expect(await encryptionCerts()).toEqual([newCert]);
    expect((await loginEncryptedTo(newCert)).res.status).toBe(302);
    const s = await startLogin(t, connectionId);
    const stale = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, encryptTo: oldCert! });
    const before = await snapshot(t);
    await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: stale, RelayState: s.relayState }), "decryption_failed", before);
  });

  it("one rotation at a time: add_next is refused while a next or a previous key exists; steps out of order are refused", async () => {
    await expect(t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "promote" })).rejects.toThrow(/no next encryption key/);
    await expect(t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "retire" })).rejects.toThrow(/no previous encryption key/);
    await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "add_next" });
    await expect(t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "add_next" })).rejects.toThrow(/next encryption key already exists/);
    await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "promote" });
    await expect(t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step: "add_next" })).rejects.toThrow(/retire the previous encryption key first/);
  });

  it("regression: after ten full rotations (more retired rows than a bounded read takes) the live key is still found", async () => {
    for (let i = 0; i < 10; i++) {
      for (const step of ["add_next", "promote", "retire"] as const) await t.action(internal.saml.admin.rotateEncryptionKey, { connectionId, step });
    }
    const rows = await t.run((ctx) => ctx.db.query("samlSpKeys").collect());
    expect(rows.filter((r) => r.use === "encryption" && r.status === "retired")).toHaveLength(10);
    const active = rows.find((r) => r.use === "encryption" && r.status === "active")!;
    expect(await encryptionCerts()).toEqual([active.certificate]);
    expect((await loginEncryptedTo(active.certificate)).res.status).toBe(302);
  }, 30_000);

  it("a wrong GATEWAY_ENCRYPTION_KEY makes the keys unusable: sp_key_unavailable, nothing written", async () => {
    const [cert] = await encryptionCerts();
    const s = await startLogin(t, connectionId);
    const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, encryptTo: cert! });
    const saved = process.env.GATEWAY_ENCRYPTION_KEY;
    process.env.GATEWAY_ENCRYPTION_KEY = "b3RoZXItdGVzdC1lbmNyeXB0aW9uLWtleS0zMmJ5dGU";
    try {
      const before = await snapshot(t);
      await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState }), "sp_key_unavailable", before);
    } finally {
      process.env.GATEWAY_ENCRYPTION_KEY = saved;
    }
  });
});
