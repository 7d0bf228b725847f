// Writing a connection: validated where it is written (dotted path), secret sealed, key generated; nothing is
// written on a bad config. Expired states are purged in bounded batches.
import { describe, expect, it, beforeEach } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { newGateway, seedGroupAndApp, snapshot } from "../helpers";

beforeEach(() => {
  process.env.GATEWAY_LOCAL = "1";
});

describe("saveConnection", () => {
  it("refuses an invalid config with the dotted path and writes nothing", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const before = await snapshot(t);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ issuer: "https://idp.example.com", clientId: "rp", clientSecret: "s", scopes: ["email"] }, '"scopes" must include "openid"'],
      [{ issuer: "https://idp.example.com", clientId: "rp" }, '"clientSecret" is required for client_secret_basic'],
      [{ issuer: "https://idp.example.com", clientId: "rp", clientSecret: "s", authorizationParams: { prompt: "sometimes" } }, '"authorizationParams.prompt"'],
    ];
    for (const [config, message] of bad) {
      const err = await t.action(internal.oidc.admin.saveConnection, { groupId, name: "x", config }).then(
        () => null,
        (e: unknown) => e as { data?: { kind: string; code: string; message: string } },
      );
      expect(err?.data).toMatchObject({ kind: "ConfigError", code: "config_invalid" });
      expect(err!.data!.message).toContain(message);
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("stores the client secret sealed, never in clear", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const saved = await t.action(internal.oidc.admin.saveConnection, {
      groupId,
      name: "Okta",
      config: { preset: "okta", issuer: "https://acme.okta.com", clientId: "0oa1", clientSecret: "very-secret-value-123" },
    });
    expect(saved.redirectUri).toBe(`https://gw.example.test/sso/oidc/${saved.connectionId}/callback`);
    expect(saved.jwksUri).toBeUndefined();
    const row = await t.run(async (ctx) => ctx.db.get(saved.connectionId));
    expect(JSON.stringify(row)).not.toContain("very-secret-value-123");
    expect(row!.config.clientSecretSealed).toMatch(/^v1\./);
    expect(row).toMatchObject({ kind: "oidc", status: "active" });
  });

  it("keeps the sealed secret and the gateway key when the config is updated without them", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const base = { issuer: "https://login.example.com", clientId: "rp", tokenEndpointAuthMethod: "private_key_jwt" };
    const first = await t.action(internal.oidc.admin.saveConnection, { groupId, name: "K", config: base });
    expect(first.jwksUri).toBe(`https://gw.example.test/sso/oidc/${first.connectionId}/jwks.json`);
    const key1 = (await t.run(async (ctx) => ctx.db.get(first.connectionId)))!.config.clientKey;
    await t.action(internal.oidc.admin.saveConnection, { groupId, name: "K", connectionId: first.connectionId, config: { ...base, scopes: ["openid", "email"] } });
    const row = (await t.run(async (ctx) => ctx.db.get(first.connectionId)))!;
    expect(row.config.clientKey).toEqual(key1);
    expect(row.config.scopes).toEqual(["openid", "email"]);
    // Switching to ES256 rotates the key.
    await t.action(internal.oidc.admin.saveConnection, { groupId, name: "K", connectionId: first.connectionId, config: { ...base, clientKeyAlg: "ES256" } });
    const rotated = (await t.run(async (ctx) => ctx.db.get(first.connectionId)))!.config.clientKey;
    expect(rotated.kid).not.toBe(key1.kid);
    expect(rotated.publicJwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
  });
});

describe("state purge", () => {
  it("deletes expired states only, in bounded batches", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const saved = await t.action(internal.oidc.admin.saveConnection, {
      groupId,
      name: "x",
      config: { issuer: "https://idp.example.com", clientId: "rp", clientSecret: "s" },
    });
    await t.run(async (ctx) => {
      const app = (await ctx.db.query("apps").first())!;
      const authRequestId = await ctx.db.insert("authRequests", { appId: app._id, redirectUri: "https://app.example.test/callback", codeChallenge: "c".repeat(43), groupId, expiresAt: Date.now() + 60_000 });
      for (let i = 0; i < 5; i++) {
        await ctx.db.insert("oidcStates", {
          state: `s${i}`,
          connectionId: saved.connectionId,
          authRequestId,
          nonce: "n",
          codeVerifier: "v",
          redirectUri: "r",
          issuer: "i",
          createdAt: 0,
          expiresAt: i < 3 ? Date.now() - 1000 : Date.now() + 60_000,
        });
      }
    });
    expect(await t.mutation(internal.oidc.store.purgeExpiredStates, { limit: 2 })).toBe(2);
    expect(await t.mutation(internal.oidc.store.purgeExpiredStates, {})).toBe(1);
    expect(await t.mutation(internal.oidc.store.purgeExpiredStates, {})).toBe(0);
    const left = await t.run(async (ctx) => ctx.db.query("oidcStates").collect());
    expect(left.map((s) => s.state).sort()).toEqual(["s3", "s4"]);
  });
});
