// The demo app: a plain page that signs in the way a real SPA on Convex would — PKCE, /sso/authorize (or the
// local dev sign-in), the code exchange at /oauth/token, refresh and sign-out — and shows the decoded JWT.
import { escapeHtml as esc } from "../src/component/lib/pages";

export interface DemoButton {
  label: string;
  /** Query added to /sso/authorize (e.g. connection=<id>); null = the local dev sign-in page. */
  authorizeQuery: Record<string, string> | null;
}

export function demoAppPage(opts: { baseUrl: string; clientId: string; buttons: DemoButton[] }): string {
  const cfg = JSON.stringify(opts).replace(/</g, "\\u003c");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo app · Convex SSO gateway</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
button{font:inherit;padding:.45rem .9rem;margin:.2rem .3rem .2rem 0;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb}pre{background:#f6f8fa;padding:1rem;border-radius:6px;overflow:auto;font-size:13px}
.err{color:#cf222e}.ok{color:#1a7f37}.muted{color:#59636e}dt{font-weight:600}dd{margin:0 0 .4rem 0}</style></head>
<body><h1>Demo app</h1>
<p class="muted">A stand-in for your Convex app. It signs in through the gateway with PKCE and shows the session JWT that <code>ctx.auth.getUserIdentity()</code> would see.</p>
<div id="signin"></div>
<div id="status"></div>
<div id="session" hidden>
  <dl><dt>User</dt><dd id="who"></dd><dt>Group</dt><dd id="group"></dd><dt>Role</dt><dd id="role"></dd><dt>Signed in with</dt><dd id="method"></dd><dt>Expires</dt><dd id="exp"></dd></dl>
  <button id="refresh">Refresh token</button><button id="signout">Sign out</button>
  <h3>JWT header</h3><pre id="header"></pre><h3>JWT claims</h3><pre id="claims"></pre>
</div>
<script>
const CFG = ${cfg};
const $ = (id) => document.getElementById(id);
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const rand = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = CFG.baseUrl + "/demo/callback";
function decode(part) { const s = part.replace(/-/g, "+").replace(/_/g, "/"); return JSON.parse(decodeURIComponent(escape(atob(s + "===".slice((s.length + 3) % 4))))); }
function status(text, cls) { $("status").innerHTML = ""; const p = document.createElement("p"); p.className = cls || ""; p.textContent = text; $("status").append(p); }
async function start(button) {
  const verifier = rand(32), state = rand(16);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({ client_id: CFG.clientId, redirect_uri: redirectUri, response_type: "code", state, code_challenge: challenge, code_challenge_method: "S256", ...(button.authorizeQuery || {}) });
  location.assign((button.authorizeQuery ? CFG.baseUrl + "/sso/authorize?" : CFG.baseUrl + "/_dev/signin?") + q);
}
async function tokenRequest(params) {
  const res = await fetch(CFG.baseUrl + "/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ client_id: CFG.clientId, ...params }) });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error + ": " + body.error_description);
  return body;
}
function show(tokens) {
  sessionStorage.setItem("tokens", JSON.stringify(tokens));
  const [h, p] = tokens.access_token.split(".");
  const header = decode(h), claims = decode(p);
  $("session").hidden = false; $("signin").hidden = true;
  $("who").textContent = (claims.name ? claims.name + " " : "") + "<" + (claims.email || claims.sub) + ">";
  $("group").textContent = claims.group + " (" + claims.group_id + ")";
  $("role").textContent = claims.role + (claims.roles && claims.roles.length > 1 ? " (all: " + claims.roles.join(", ") + ")" : "");
  $("method").textContent = claims.auth_method;
  $("exp").textContent = new Date(claims.exp * 1000).toLocaleString();
  $("header").textContent = JSON.stringify(header, null, 2);
  $("claims").textContent = JSON.stringify(claims, null, 2);
}
async function main() {
  for (const b of CFG.buttons) { const el = document.createElement("button"); el.className = "primary"; el.textContent = b.label; el.onclick = () => start(b); $("signin").append(el); }
  const url = new URL(location.href);
  if (url.pathname.endsWith("/callback")) {
    history.replaceState(null, "", CFG.baseUrl + "/demo");
    const saved = JSON.parse(sessionStorage.getItem("pkce") || "null");
    sessionStorage.removeItem("pkce");
    if (url.searchParams.get("error")) return status("Sign-in failed: " + url.searchParams.get("error") + " — " + (url.searchParams.get("error_description") || ""), "err");
    if (!saved || saved.state !== url.searchParams.get("state")) return status("Sign-in failed: state mismatch", "err");
    try { show(await tokenRequest({ grant_type: "authorization_code", code: url.searchParams.get("code"), redirect_uri: redirectUri, code_verifier: saved.verifier })); status("Signed in.", "ok"); }
    catch (e) { status("Sign-in failed: " + e.message, "err"); }
    return;
  }
  const tokens = JSON.parse(sessionStorage.getItem("tokens") || "null");
  if (tokens) show(tokens);
}
$("refresh").onclick = async () => {
  const tokens = JSON.parse(sessionStorage.getItem("tokens"));
  try { show(await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token })); status("Refreshed: new JWT and a rotated refresh token.", "ok"); }
  catch (e) { status("Refresh failed: " + e.message, "err"); }
};
$("signout").onclick = async () => {
  const tokens = JSON.parse(sessionStorage.getItem("tokens"));
  await fetch(CFG.baseUrl + "/oauth/revoke", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ client_id: CFG.clientId, token: tokens.refresh_token }) });
  sessionStorage.removeItem("tokens"); $("session").hidden = true; $("signin").hidden = false; status("Signed out; the session is revoked.", "muted");
};
main();
</script></body></html>`;
}

export function devSignInPage(opts: { params: URLSearchParams; groups: Array<{ slug: string; name: string }>; error?: string }): string {
  const hidden = ["client_id", "redirect_uri", "state", "code_challenge"]
    .map((k) => `<input type="hidden" name="${k}" value="${esc(opts.params.get(k) ?? "")}">`)
    .join("");
  const groups = opts.groups.map((g) => `<option value="${esc(g.slug)}">${esc(g.name)} (${esc(g.slug)})</option>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev sign-in · local gateway</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0 .2rem}input,select{font:inherit;width:100%;padding:.35rem}button{font:inherit;margin-top:1rem;padding:.45rem .9rem}.warn{background:#fff8c5;padding:.5rem .8rem;border-radius:6px}.err{color:#cf222e}</style></head>
<body><h1>Dev sign-in</h1><p class="warn">Local gateway only: no password, no IdP. It calls the same complete-sign-in step SAML and OIDC use.</p>
${opts.error ? `<p class="err">${esc(opts.error)}</p>` : ""}
<form method="post" action="/_dev/signin">${hidden}
<label for="email">Email</label><input id="email" name="email" type="email" required value="ada@demo.example">
<label for="name">Name</label><input id="name" name="name" value="Ada Lovelace">
<label for="group">Group</label><select id="group" name="group">${groups}</select>
<label for="role">Role</label><select id="role" name="role"><option>admin</option><option selected>member</option><option>viewer</option></select>
<button type="submit" id="submit">Sign in</button></form></body></html>`;
}
