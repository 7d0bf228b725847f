// The portal under a route prefix: `new SsoGateway(component, { pathPrefix: "/auth" })` mounts it at /auth/portal/…
// (test/component/prefixed/). The setup link an app mints, every link, form action, asset, redirect and the
// cookie's Path carry the prefix; a CSRF-protected form posts under it; nothing answers at the bare /portal.
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { internal } from "../../src/component/_generated/api";
import { asComponent, register } from "../../src/test";
import { seedGroupAndApp } from "../helpers";
import { testIdp } from "../saml/samlFlow";
import { openPortal } from "./portalClient";

/** The app's action in test/component/prefixed/setupLink.ts. */
const createSetupLink = makeFunctionReference<"action", { group: string }, string>("setupLink:create");

/** Every root-relative URL a page points at. */
function localRefs(html: string): string[] {
  return [...html.matchAll(/\s(?:href|action|src)="(\/[^"]*)"/g)].map((m) => m[1]!);
}

describe("the portal under pathPrefix /auth", () => {
  it("setup link, navigation, cookie, redirects and a CSRF-protected form all live under /auth/portal", async () => {
    const t = convexTest({ modules: import.meta.glob("../component/prefixed/**/*.ts") });
    register(t);
    const gw = asComponent(t);
    const groupId = await seedGroupAndApp(gw);
    const connectionId = await gw.action(internal.saml.admin.createConnection, { groupId, name: "Okta", idpMetadataXml: testIdp().metadataXml, config: {} });

    // The app's "Configure SSO" button, from a module that does not import http.ts.
    const url = new URL(await t.action(createSetupLink, { group: "acme" }));
    expect(url.origin + url.pathname).toBe("https://gw.example.test/auth/portal/link");
    const token = url.searchParams.get("t")!;

    const landing = await t.fetch(`/auth/portal/link?t=${token}`);
    expect(landing.status).toBe(200);
    const landingHtml = await landing.text();
    expect(landingHtml).toContain('action="/auth/portal/link"');
    expect(localRefs(landingHtml).every((r) => r.startsWith("/auth/portal/"))).toBe(true);
    expect((await t.fetch(`/portal/link?t=${token}`)).status).toBe(404);

    const redeemed = await t.fetch("/auth/portal/link", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${token}` });
    expect(redeemed.headers.get("set-cookie")).toMatch(/^gw_portal=[\w-]+; Path=\/auth\/portal; HttpOnly; SameSite=Lax; Max-Age=3600; Secure$/);
    expect((await t.fetch("/auth/portal/link", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${token}` })).status).toBe(410);

    const second = new URL(await t.action(createSetupLink, { group: "acme" }));
    const portal = await openPortal(t.fetch, second.searchParams.get("t")!, "/auth/portal");

    // Navigate: every page's links, forms and assets are under the prefix, and they answer.
    const seen = new Set<string>();
    for (const path of ["/auth/portal/", "/auth/portal/sso", `/auth/portal/sso/c/${connectionId}`, `/auth/portal/sso/c/${connectionId}/certificates`]) {
      const res = await portal.get(path);
      expect(res.status, path).toBe(200);
      const refs = localRefs(await res.text());
      expect(refs.length, path).toBeGreaterThan(0);
      for (const r of refs) {
        expect(r, `${path} links to ${r}`).toMatch(/^\/auth\/portal\//);
        seen.add(r);
      }
    }
    expect(seen).toContain("/auth/portal/assets/portal.css");
    expect(seen).toContain(`/auth/portal/sso/c/${connectionId}/certificates/idp`);
    expect((await portal.get("/auth/portal/assets/portal.css")).headers.get("content-type")).toContain("text/css");
    expect((await portal.get("/auth/portal")).headers.get("location")).toBe("/auth/portal/");

    // A CSRF-protected form under the prefix: without the token 403, with it the change and a prefixed redirect.
    const before = await gw.run((ctx) => ctx.db.get(connectionId));
    expect((await portal.post(`/auth/portal/sso/c/${connectionId}/certificates/sp/next`, {}, { csrf: null })).status).toBe(403);
    expect(await gw.run((ctx) => ctx.db.query("samlSpKeys").collect())).toHaveLength(2);
    const next = await portal.post(`/auth/portal/sso/c/${connectionId}/certificates/sp/next`, {});
    expect(next.status).toBe(303);
    expect(next.headers.get("location")).toBe(`/auth/portal/sso/c/${connectionId}/certificates?done=sp_next`);
    expect(await gw.run((ctx) => ctx.db.query("samlSpKeys").collect())).toHaveLength(4);
    expect(await gw.run((ctx) => ctx.db.get(connectionId))).toMatchObject({ config: before!.config });

    // Signing out clears the cookie on the same Path.
    const out = await portal.post("/auth/portal/logout", {});
    expect(out.headers.get("set-cookie")).toMatch(/^gw_portal=; Path=\/auth\/portal; HttpOnly; SameSite=Lax; Max-Age=0; Secure$/);
  });
});
