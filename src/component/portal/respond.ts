// Responses of the portal's pages (setup portal and operator page): HTML under the portal's strict CSP, and
// See Other redirects after a form — both mounted under the route prefix the portal lives at (src/portal/paths.ts).
import { PORTAL_CSP } from "../../portal/assets";
import { issuerPath, mountPage, mountPath } from "../../portal/paths";
import { siteUrl } from "../lib/env";

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": PORTAL_CSP,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The route prefix the portal is mounted under ("" or e.g. "/auth"), from the issuer. */
const prefix = () => issuerPath(siteUrl());

export function page(html: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(mountPage(html, prefix()), { status, headers: { ...HEADERS, ...extra } });
}

export function redirect(to: string, extra: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location: mountPath(to, prefix()), "cache-control": "no-store", ...extra } });
}
