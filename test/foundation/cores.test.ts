// Pure cores of the foundation: options (validated with the field path), role rules, sealed secrets, key import.
import { describe, expect, test } from "vitest";
import { parseGatewayOptions } from "../../src/session/options";
import { rolesFromRules } from "../../src/session/roles";
import { open, seal } from "../../src/session/secretBox";
import { importSigningKeys, generatePrivateJwks } from "../../src/session/tokens";
import { base64UrlDecode, base64UrlEncode, pkceS256 } from "../../src/session/encoding";

describe("gateway options", () => {
  test("defaults follow Convex Auth's names: jwt 1 h, session 30 days total and inactive", () => {
    const o = parseGatewayOptions({});
    expect(o.jwt.durationMs).toBe(3_600_000);
    expect(o.session.totalDurationMs).toBe(30 * 86_400_000);
    expect(o.session.inactiveDurationMs).toBe(30 * 86_400_000);
    expect(o.refreshToken.reuseGraceMs).toBe(10_000);
    expect(Object.isFrozen(o.jwt)).toBe(true);
  });
  test.each([
    [{ jwt: { durationMs: "1h" } }, "jwt.durationMs"],
    [{ session: { totalDurationMs: -1 } }, "session.totalDurationMs"],
    [{ refreshToken: { reuseGraceMs: 60_000 } }, "refreshToken.reuseGraceMs"],
    [{ authCode: { ttlMs: 120_000 } }, "authCode.ttlMs"],
    [{ jwt: { durationMs: 60_000, extra: 1 } }, "jwt"],
    [{ sessions: {} }, "(root)"],
  ])("%j is refused naming %s", (input, path) => {
    expect(() => parseGatewayOptions(input)).toThrow(new RegExp(`^${path.replace(/[().]/g, "\\$&")}: `));
  });
});

describe("role rules", () => {
  test("first matching rule gives the primary role; names match case-insensitively; no match → default", () => {
    const rules = [{ value: "Admins", role: "admin" }, { value: "staff", role: "member" }, { value: "ADMINS", role: "admin" }];
    expect(rolesFromRules(rules, ["staff", "admins"], "viewer")).toEqual(["admin", "member"]);
    expect(rolesFromRules(rules, ["contractors"], "viewer")).toEqual(["viewer"]);
    expect(rolesFromRules(undefined, ["admins"], "viewer")).toEqual(["viewer"]);
    expect(rolesFromRules(rules, undefined, "viewer")).toEqual(["viewer"]);
  });
});

describe("sealed secrets", () => {
  const key = base64UrlEncode(new Uint8Array(32).fill(7));
  test("round-trip, random IV, tamper and wrong key detected", async () => {
    const a = await seal(key, "client-secret");
    const b = await seal(key, "client-secret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("client-secret");
    expect(await open(key, a)).toBe("client-secret");
    const bytes = base64UrlDecode(a.slice(3));
    bytes[bytes.length - 1]! ^= 1;
    await expect(open(key, "v1." + base64UrlEncode(bytes))).rejects.toThrow();
    await expect(open(base64UrlEncode(new Uint8Array(32).fill(8)), a)).rejects.toThrow();
    await expect(seal("short", "x")).rejects.toThrow(/32 bytes/);
  });
});

describe("signing keys", () => {
  test("the first key signs; every key is published without private members", async () => {
    const a = await generatePrivateJwks();
    const b = await generatePrivateJwks();
    const keys = await importSigningKeys(JSON.stringify({ keys: [...a.keys, ...b.keys] }));
    expect(keys.kid).toBe(a.keys[0]!.kid);
    expect(keys.publicJwks.keys.map((k) => k.kid)).toEqual([a.keys[0]!.kid, b.keys[0]!.kid]);
    for (const k of keys.publicJwks.keys) expect(k).not.toHaveProperty("d");
  });
  test.each([
    ["not json", /not JSON/],
    [JSON.stringify({}), /keys: expected a non-empty array/],
    [JSON.stringify({ keys: [{ kty: "EC", kid: "x" }] }), /keys\.0\.kty/],
    [JSON.stringify({ keys: [{ kty: "RSA" }] }), /keys\.0\.kid/],
  ])("bad GATEWAY_SIGNING_KEYS %s is refused with the field", async (raw, msg) => {
    await expect(importSigningKeys(raw)).rejects.toThrow(msg);
  });
  test("a public-only first key cannot sign", async () => {
    const { keys } = await generatePrivateJwks();
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = keys[0]!;
    await expect(importSigningKeys(JSON.stringify({ keys: [pub] }))).rejects.toThrow(/must be private/);
  });
});

describe("PKCE", () => {
  test("RFC 7636 Appendix B vector", async () => {
    // https://www.rfc-editor.org/rfc/rfc7636#appendix-B
    expect(await pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
});

describe("SHA-256 (pure, for queries and mutations)", () => {
  test("FIPS 180-4 / NIST vectors and agreement with Node's crypto on random inputs", async () => {
    const { sha256 } = await import("../../src/session/sha256");
    const { createHash, randomBytes } = await import("node:crypto");
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    // https://csrc.nist.gov/CSRC/media/Projects/Cryptographic-Standards-and-Guidelines/documents/examples/SHA256.pdf
    expect(hex(sha256(new TextEncoder().encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (let n = 0; n < 200; n++) {
      const data = randomBytes(n * 3 + (n % 7));
      expect(hex(sha256(data))).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });
});
