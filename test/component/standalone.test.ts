// The standalone deployment (convex/) as a thin app over the component: admin access through admin:run with the
// env passed down, and the routes under a path prefix (which then belongs to the issuer).
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { describe, expect, it } from "vitest";
import { internal as app } from "../../convex/_generated/api";
import { asComponent, register } from "../../src/test";
import { modules, seedGroupAndApp } from "../helpers";

describe("standalone admin:run", () => {
  it("runs the component's admin functions by name with the env (OIDC secret sealed with the app's key)", async () => {
    const t = convexTest({ modules });
    register(t);
    const gw = asComponent(t);
    const groupId = await t.action(app.admin.run, { kind: "mutation", fn: "admin/groups:create", args: { slug: "acme", name: "Acme" } });
    expect(await gw.run((ctx) => ctx.db.get(groupId as never))).toMatchObject({ slug: "acme" });
    const saved = (await t.action(app.admin.run, {
      kind: "action",
      fn: "oidc/admin:saveConnection",
      args: { groupId, name: "Okta", config: { issuer: "https://acme.okta.example", clientId: "abc", clientSecret: "s3cret-value", scopes: ["openid", "email"] } },
    })) as { connectionId: string; redirectUri: string };
    expect(saved.redirectUri).toBe(`https://gw.example.test/sso/oidc/${saved.connectionId}/callback`);
    const row = await gw.run((ctx) => ctx.db.get(saved.connectionId as never));
    expect(JSON.stringify(row)).not.toContain("s3cret-value");
    await expect(t.action(app.admin.run, { kind: "query", fn: "admin/groups:nope", args: {} })).rejects.toThrow();
  });
});

describe("pathPrefix", () => {
  it("mounts every route under the prefix, and the issuer names it", async () => {
    const t = convexTest({ modules: import.meta.glob("./prefixed/**/*.ts") });
    register(t);
    await seedGroupAndApp(asComponent(t));
    const discovery = await t.fetch("/auth/.well-known/openid-configuration");
    expect(discovery.status).toBe(200);
    const body = await discovery.json();
    expect(body.issuer).toBe("https://gw.example.test/auth");
    expect(body.jwks_uri).toBe("https://gw.example.test/auth/.well-known/jwks.json");
    expect(body.token_endpoint).toBe("https://gw.example.test/auth/oauth/token");
    expect((await t.fetch("/auth/.well-known/jwks.json")).status).toBe(200);
    expect((await t.fetch("/.well-known/openid-configuration")).status).toBe(404);
    const token = await t.fetch("/auth/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=password&client_id=demo-app" });
    expect(token.status).toBe(400);
    expect((await token.json()).error).toBe("unsupported_grant_type");
  });
});
