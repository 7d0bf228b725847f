// Where the portal lives: `/portal` under the issuer's path. With `registerRoutes(http, { pathPrefix: "/auth" })`
// the issuer is `https://site/auth`, the routes are mounted at /auth/portal/…, and the handlers see the request as
// if it came to /portal/… (src/gateway/routes.ts strips the prefix). So the prefix is derived once, from the
// issuer, and applied where the portal speaks to the browser: page links, form actions and assets, redirects and
// the cookie's Path. Renderers (pages.ts, certificatesPage.ts) keep writing root-relative "/portal/…" paths.

/** The issuer's path ("" at the root, "/auth" under a prefix). */
export function issuerPath(siteUrl: string): string {
  return new URL(siteUrl).pathname.replace(/\/+$/, "");
}

/** The portal's own path under the issuer: "/portal" or "/auth/portal". */
export function portalRoot(siteUrl: string): string {
  return `${issuerPath(siteUrl)}/portal`;
}

/** A root-relative portal path ("/portal/sso") → where the browser finds it under the issuer's prefix. */
export function mountPath(path: string, prefix: string): string {
  return prefix && (path === "/portal" || path.startsWith("/portal/") || path.startsWith("/portal?")) ? prefix + path : path;
}

// The attributes through which a rendered page points at the portal: links, forms, assets, the meta refresh.
// Every value a renderer interpolates is escaped (no raw `"`), so only the renderer's own markup can match.
const PORTAL_REFS = /(\s(?:href|action|src)="|<meta http-equiv="refresh" content="0;url=)\/portal(?=[/"?])/g;

/** Rewrite a rendered page's portal links for a prefix ("" leaves the page as it is). */
export function mountPage(html: string, prefix: string): string {
  return prefix ? html.replace(PORTAL_REFS, `$1${prefix}/portal`) : html;
}
