// Crafted ID tokens from a fake OP we control: algorithm confusion, claim checks, key rotation.
// Each attack asserts the closed-set code and that nothing but the trace row was written.
import { afterEach, describe, expect, it } from "vitest";
import { SignJWT, base64url } from "jose";
import { createHmac } from "node:crypto";
import {
  baseClaims,
  counts,
  expectOnlyTrace,
  fakeCallback,
  fakeLogin,
  newSigningKey,
  setupWithFakeOp,
  signIdToken,
  type FakeHarness,
} from "./harness";

let h: FakeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  delete process.env.GATEWAY_OIDC_TIMEOUT_MS;
});

function idTokenResponse(idToken: string) {
  return { body: { access_token: "at-1", token_type: "Bearer", expires_in: 300, id_token: idToken } };
}

/** A JWS with the given header, payload and raw signature bytes. */
function rawJws(header: object, payload: object, sign: (input: string) => string) {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  return `${input}.${sign(input)}`;
}

/** Runs a sign-in through /sso/authorize and a crafted callback; first succeeds once so the JWKS is cached. */
async function primeCache(x: FakeHarness) {
  const cb = await fakeLogin(x);
  const res = await fakeCallback(x, cb);
  expect(res.status, await res.clone().text()).toBe(302);
}

describe("fake OP baseline", () => {
  it("a well-formed token from the fake OP signs in (so the attacks below fail for their own reason)", async () => {
    h = await setupWithFakeOp();
    await primeCache(h);
    expect(await counts(h.t)).toMatchObject({ users: 1, sessions: 1, usedStates: 1, traces: 0 });
    const cached = await h.t.run(async (ctx) => ctx.db.query("oidcJwks").collect());
    expect(cached).toHaveLength(1);
  });
});

describe("ID token algorithm attacks (RFC 8725 §2.1, §3.1)", () => {
  it('refuses alg "none"', async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    op.tokenResponse = async ({ nonce }) => idTokenResponse(rawJws({ alg: "none", typ: "JWT" }, baseClaims(op, nonce), () => ""));
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_alg_not_allowed", () => fakeCallback(h!, cb));
  });

  it("refuses HS256 signed with the OP's public key as the HMAC secret (key confusion)", async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    const secrets = [JSON.stringify(op.key.publicJwk), String(op.key.publicJwk.n)];
    for (const secret of secrets) {
      op.tokenResponse = async ({ nonce }) =>
        idTokenResponse(
          rawJws({ alg: "HS256", kid: op.key.kid, typ: "JWT" }, baseClaims(op, nonce), (input) =>
            createHmac("sha256", secret).update(input).digest("base64url"),
          ),
        );
      const cb = await fakeLogin(h);
      await expectOnlyTrace(h.t, "id_token_alg_not_allowed", () => fakeCallback(h!, cb));
    }
  });

  it("refuses HS256 even when the OP advertises it in its metadata", async () => {
    h = await setupWithFakeOp({ discoveryExtra: { id_token_signing_alg_values_supported: ["RS256", "HS256"] } });
    const op = h.op;
    op.tokenResponse = async ({ nonce }) =>
      idTokenResponse(
        await new SignJWT(baseClaims(op, nonce) as never)
          .setProtectedHeader({ alg: "HS256", kid: op.key.kid })
          .sign(new TextEncoder().encode("fake-secret-fake-secret-fake-secret!")),
      );
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_alg_not_allowed", () => fakeCallback(h!, cb));
  });

  it("refuses an RS256 token whose signature is from another key with the same kid", async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    const impostor = await newSigningKey(op.key.kid);
    op.tokenResponse = async ({ nonce }) => idTokenResponse(await signIdToken(baseClaims(op, nonce), impostor));
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_signature_invalid", () => fakeCallback(h!, cb));
  });

  it("refuses a token whose payload was altered after signing", async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    op.tokenResponse = async ({ nonce }) => {
      const jws = await signIdToken(baseClaims(op, nonce), op.key);
      const [hd, , sig] = jws.split(".");
      const forged = base64url.encode(JSON.stringify({ ...baseClaims(op, nonce), groups: ["Admins", "Owners"], sub: "someone-else" }));
      return idTokenResponse(`${hd}.${forged}.${sig}`);
    };
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_signature_invalid", () => fakeCallback(h!, cb));
  });
});

describe("ID token claim checks", () => {
  const cases: Array<[string, string, (c: Record<string, unknown>) => Record<string, unknown>]> = [
    ["nonce mismatch", "nonce_mismatch", (c) => ({ ...c, nonce: "another-nonce" })],
    ["nonce missing", "nonce_mismatch", ({ nonce: _n, ...c }) => c],
    ["wrong audience", "id_token_audience_mismatch", (c) => ({ ...c, aud: "some-other-client" })],
    ["expired", "id_token_expired", (c) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })],
    ["issued in the future", "id_token_iat_invalid", (c) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 })],
    ["wrong issuer", "id_token_issuer_mismatch", (c) => ({ ...c, iss: "https://evil.example.test" })],
    ["azp not us with several audiences", "id_token_azp_mismatch", (c) => ({ ...c, aud: ["gateway-rp", "other"], azp: "other" })],
  ];
  for (const [name, code, mutate] of cases) {
    it(`refuses an ID token: ${name}`, async () => {
      h = await setupWithFakeOp();
      const op = h.op;
      op.tokenResponse = async ({ nonce }) => idTokenResponse(await signIdToken(mutate(baseClaims(op, nonce)), op.key));
      const cb = await fakeLogin(h);
      await expectOnlyTrace(h.t, code, () => fakeCallback(h!, cb));
    });
  }

  it("refuses a token response without an id_token", async () => {
    h = await setupWithFakeOp();
    h.op.tokenResponse = async () => ({ body: { access_token: "at-1", token_type: "Bearer", expires_in: 300 } });
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_missing", () => fakeCallback(h!, cb));
  });
});

describe("JWKS cache and key rotation", () => {
  it("re-fetches the JWKS on an unknown kid and signs in with the rotated key; the cache is updated", async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    await primeCache(h);
    const jwksHits = () => op.net.hits.filter((p) => p === "/fake/jwks").length;
    expect(jwksHits()).toBe(1);
    // Second login uses the cache: no JWKS request.
    await primeCache(h);
    expect(jwksHits()).toBe(1);
    // The OP rotates to a new key.
    const next = await newSigningKey("fake-key-2");
    op.jwks = [op.key.publicJwk, next.publicJwk];
    op.tokenResponse = async ({ nonce }) => idTokenResponse(await signIdToken(baseClaims(op, nonce), next));
    await primeCache(h);
    expect(jwksHits()).toBe(2);
    const cached = await h.t.run(async (ctx) => ctx.db.query("oidcJwks").unique());
    expect((cached!.jwks as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toEqual(["fake-key-1", "fake-key-2"]);
  });

  it("refuses a kid that is still unknown after the re-fetch, and keeps the old cache", async () => {
    h = await setupWithFakeOp();
    const op = h.op;
    await primeCache(h);
    const before = await h.t.run(async (ctx) => ctx.db.query("oidcJwks").unique());
    const stranger = await newSigningKey("never-published");
    op.tokenResponse = async ({ nonce }) => idTokenResponse(await signIdToken(baseClaims(op, nonce), stranger));
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "id_token_kid_unknown", () => fakeCallback(h!, cb));
    expect(op.net.hits.filter((p) => p === "/fake/jwks").length).toBe(2);
    expect(await h.t.run(async (ctx) => ctx.db.query("oidcJwks").unique())).toEqual(before);
  });
});

describe("userinfo", () => {
  it("merges userinfo when its sub matches (groups from userinfo give the role)", async () => {
    h = await setupWithFakeOp({ roleRules: [{ value: "Owners", role: "owner" }] });
    const op = h.op;
    op.tokenResponse = async ({ nonce }) => {
      const { groups: _g, ...claims } = baseClaims(op, nonce);
      return idTokenResponse(await signIdToken(claims, op.key));
    };
    op.userinfo = { sub: "fake-sub-1", groups: ["Owners"] };
    await primeCache(h);
    const m = await h.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["owner"]);
  });

  it("ignores userinfo whose sub differs (OIDC Core §5.3.2)", async () => {
    h = await setupWithFakeOp({ roleRules: [{ value: "Owners", role: "owner" }] });
    const op = h.op;
    op.tokenResponse = async ({ nonce }) => {
      const { groups: _g, ...claims } = baseClaims(op, nonce);
      return idTokenResponse(await signIdToken(claims, op.key));
    };
    op.userinfo = { sub: "someone-else", groups: ["Owners"], email: "mallory@evil.example" };
    await primeCache(h);
    const m = await h.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["member"]);
    const u = await h.t.run(async (ctx) => ctx.db.query("users").first());
    expect(u!.email).toBe("grace@acme.example");
  });
});
