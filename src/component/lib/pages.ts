// User-facing HTML: short, self-contained, and never echoing input that was not escaped.

import { escapeHtml } from "../../shared/html";
export { escapeHtml };

const SECURITY_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

export function htmlPage(opts: {
  title: string;
  body: string; // trusted HTML built by the caller with escapeHtml
  status?: number;
  headers?: Record<string, string>;
  csp?: string;
}): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(opts.title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}h1{font-size:1.4rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}.muted{color:#59636e}</style></head><body>${opts.body}</body></html>`;
  return new Response(html, {
    status: opts.status ?? 200,
    headers: {
      ...SECURITY_HEADERS,
      "content-security-policy": opts.csp ?? "default-src 'none'; style-src 'unsafe-inline'; form-action *",
      ...opts.headers,
    },
  });
}

/** A failed sign-in: what happened in plain words and a reference the IT admin can look up; no detail. */
export function errorPage(opts: { title: string; message: string; ref?: string; status?: number }): Response {
  const ref = opts.ref
    ? `<p class="muted">Reference: <code id="ref">${escapeHtml(opts.ref)}</code>. Give it to your administrator; it identifies what went wrong.</p>`
    : "";
  return htmlPage({
    title: opts.title,
    status: opts.status ?? 400,
    body: `<h1>${escapeHtml(opts.title)}</h1><p>${escapeHtml(opts.message)}</p>${ref}`,
  });
}

/** 429 for a browser-facing endpoint (authorize, ACS, OIDC callback): a readable page and Retry-After (RFC 6585 §4). */
export function tooManyRequestsPage(retryAfterSec: number): Response {
  const page = errorPage({
    title: "Too many sign-in attempts",
    message: `Too many sign-in requests came from your network. Wait ${retryAfterSec} seconds, then try again.`,
    status: 429,
  });
  page.headers.set("retry-after", String(retryAfterSec));
  page.headers.set("cache-control", "no-store");
  return page;
}

/** An auto-submitting POST form (SAML HTTP-POST binding, form_post responses). */
export function autoPostPage(action: string, fields: Record<string, string>, title = "Continuing sign-in…"): Response {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("");
  return htmlPage({
    title,
    csp: "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='; form-action *",
    body: `<form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
  });
}
