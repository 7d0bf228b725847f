// The portal session cookie: HttpOnly, SameSite=Lax (the test sign-in comes back through the IdP's cross-site
// POST and a redirect; Lax sends the cookie on that top-level GET, never on a cross-site POST), Secure unless
// the portal is served from localhost, path-scoped to the portal (/portal, or /auth/portal under a route prefix).
// Every state change also needs the CSRF token.
import { issuerPath } from "./paths";

export const PORTAL_COOKIE = "gw_portal";

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function isLocalhost(siteUrl: string): boolean {
  const host = new URL(siteUrl).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** The operator page's session cookie: its own name, scoped to /portal/operator. */
export const OPERATOR_COOKIE = { name: "gw_operator", path: "/portal/operator" } as const;

export function sessionCookie(value: string, opts: { siteUrl: string; maxAgeSec: number; name?: string; path?: string }): string {
  const secure = isLocalhost(opts.siteUrl) ? "" : "; Secure";
  return `${opts.name ?? PORTAL_COOKIE}=${value}; Path=${issuerPath(opts.siteUrl)}${opts.path ?? "/portal"}; HttpOnly; SameSite=Lax; Max-Age=${opts.maxAgeSec}${secure}`;
}

export function clearedCookie(siteUrl: string, scope: { name?: string; path?: string } = {}): string {
  return sessionCookie("", { siteUrl, maxAgeSec: 0, ...scope });
}
