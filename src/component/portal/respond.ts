// Responses of the portal's pages (setup portal and operator page): HTML under the portal's strict CSP, and
// See Other redirects after a form.
import { PORTAL_CSP } from "../../portal/assets";

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": PORTAL_CSP,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export function page(html: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(html, { status, headers: { ...HEADERS, ...extra } });
}

export function redirect(to: string, extra: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location: to, "cache-control": "no-store", ...extra } });
}
