// The route-prefix mount of portal paths (src/portal/paths.ts): only the renderer's own link, form, asset and
// meta-refresh attributes move; values a person typed (escaped by the renderer) and other URLs stay as they are.
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../src/shared/html";
import { issuerPath, mountPage, mountPath, portalRoot } from "../../src/portal/paths";

describe("portal paths under a prefix", () => {
  it("derives the prefix from the issuer", () => {
    expect(issuerPath("https://gw.example.test")).toBe("");
    expect(issuerPath("https://gw.example.test/auth/")).toBe("/auth");
    expect(portalRoot("https://gw.example.test/auth")).toBe("/auth/portal");
    expect(portalRoot("http://127.0.0.1:3210")).toBe("/portal");
  });

  it("mounts links, forms, assets and the meta refresh; leaves typed values, other paths and absolute URLs", () => {
    const typed = escapeHtml(`" href="/portal/evil`);
    const html = `<link rel="stylesheet" href="/portal/assets/portal.css"><meta http-equiv="refresh" content="0;url=/portal/sso/test/1/go"><a href="/portal/">x</a><form action="/portal/sso/new"></form><input value="/portal/x"><input value="${typed}"><a href="/sso/saml/1/metadata">m</a><a href="https://other.example/portal/">o</a><a href="/portalx">p</a>`;
    const out = mountPage(html, "/auth");
    expect(out).toContain('href="/auth/portal/assets/portal.css"');
    expect(out).toContain('content="0;url=/auth/portal/sso/test/1/go"');
    expect(out).toContain('<a href="/auth/portal/">');
    expect(out).toContain('action="/auth/portal/sso/new"');
    expect(out).toContain('<input value="/portal/x">');
    expect(out).toContain(`<input value="${typed}">`);
    expect(out).toContain('href="/sso/saml/1/metadata"');
    expect(out).toContain('href="https://other.example/portal/"');
    expect(out).toContain('href="/portalx"');
    expect(mountPage(html, "")).toBe(html);
  });

  it("mounts redirects to the portal only", () => {
    expect(mountPath("/portal/", "/auth")).toBe("/auth/portal/");
    expect(mountPath("/portal", "/auth")).toBe("/auth/portal");
    expect(mountPath("/portal/sso/c/1?saved=1", "/auth")).toBe("/auth/portal/sso/c/1?saved=1");
    expect(mountPath("https://idp.example.test/sso", "/auth")).toBe("https://idp.example.test/sso");
    expect(mountPath("/portalx", "/auth")).toBe("/portalx");
    expect(mountPath("/portal/", "")).toBe("/portal/");
  });
});
