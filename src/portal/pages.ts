// Pure rendering of the self-service portal: plain data in, an HTML string out. Every value that did not
// come from this file goes through escapeHtml; the only script and stylesheet are /portal/assets/*.
import { escapeHtml as e } from "../shared/html";
import { expectedNames, IDP_GUIDES, type IdpGuide, type StepValue } from "./idps";
import { failureText } from "./failures";
import { badge, count, when } from "./format";
import { scimRequestsHtml, type ScimRequestView } from "./scimLogPage";
import { expiryState } from "./expiry";

export type Intent = "sso" | "scim" | "domains" | "traces";

const NAV: Array<{ intent: Intent | "home"; href: string; label: string }> = [
  { intent: "home", href: "/portal/", label: "Overview" },
  { intent: "sso", href: "/portal/sso", label: "Single sign-on" },
  { intent: "scim", href: "/portal/scim", label: "Provisioning (SCIM)" },
  { intent: "domains", href: "/portal/domains", label: "Domains" },
  { intent: "traces", href: "/portal/failures", label: "Sign-in failures" },
];

export interface Chrome {
  groupName: string;
  intents: readonly Intent[];
  csrf: string;
  current: Intent | "home";
}

export function layout(title: string, body: string, chrome?: Chrome, banner = "Setup portal"): string {
  const nav = chrome
    ? `<nav aria-label="Portal"><ul>${NAV.filter((n) => n.intent === "home" || chrome.intents.includes(n.intent))
        .map((n) => `<li><a href="${n.href}"${n.intent === chrome.current ? ' aria-current="page"' : ""}>${e(n.label)}</a></li>`)
        .join("")}</ul></nav>`
    : "";
  const who = chrome ? `<span class="org">${e(chrome.groupName)}</span> · setup portal` : e(banner);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><link rel="stylesheet" href="/portal/assets/portal.css"><script src="/portal/assets/portal.js" defer></script></head><body><header><div class="inner">${who}${nav}</div></header><main id="main">${body}</main></body></html>`;
}

export function csrfField(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${e(csrf)}">`;
}

export function copyField(id: string, label: string, value: string): string {
  return `<label for="${e(id)}">${e(label)}</label><div class="copy"><input type="text" id="${e(id)}" value="${e(value)}" readonly><button type="button" class="secondary" data-copy="${e(id)}" aria-label="Copy ${e(label)}">Copy</button></div>`;
}


/** A page without a session: expired / used / forged link, signed out, forbidden. */
export function messagePage(title: string, message: string, banner?: string): string {
  return layout(title, `<div class="card center"><h1>${e(title)}</h1><p>${e(message)}</p></div>`, undefined, banner);
}

/** GET of a setup link: nothing is consumed until the person presses the button (mail scanners follow GETs). */
export function openLinkPage(token: string, groupName: string): string {
  return layout(
    "Open the setup portal",
    `<div class="card center"><h1>Set up sign-in for ${e(groupName)}</h1><p>This link opens the setup portal once, in this browser. The session lasts one hour; ask for a new link when it ends.</p><form method="post" action="/portal/link"><input type="hidden" name="token" value="${e(token)}"><button type="submit">Open the setup portal</button></form></div>`,
  );
}

export interface HomeData {
  connections: number;
  activeConnections: number;
  directories: number;
  verifiedDomains: number;
  domains: number;
  expiresAt: number;
}

export function homePage(chrome: Chrome, d: HomeData): string {
  const cards: string[] = [];
  if (chrome.intents.includes("sso")) cards.push(card("/portal/sso", "Single sign-on", `${d.activeConnections} active of ${count(d.connections, "connection")}`));
  if (chrome.intents.includes("scim")) cards.push(card("/portal/scim", "Provisioning (SCIM)", `${d.directories} directory(ies)`));
  if (chrome.intents.includes("domains")) cards.push(card("/portal/domains", "Domains", `${d.verifiedDomains} verified of ${d.domains}`));
  if (chrome.intents.includes("traces")) cards.push(card("/portal/failures", "Sign-in failures", "Recent failed sign-ins in plain words"));
  return layout(
    "Setup portal",
    `<h1>Set up ${e(chrome.groupName)}</h1><p>Connect your identity provider, provision people automatically and prove your email domains. Nothing you start here affects people signing in until you activate it.</p><div class="grid">${cards.join("")}</div><form method="post" action="/portal/logout" class="actions">${csrfField(chrome.csrf)}<button type="submit" class="secondary">Sign out of the portal</button><span class="muted">Session ends ${e(when(d.expiresAt))}</span></form>`,
    chrome,
  );
}

function card(href: string, title: string, text: string): string {
  return `<a class="card" href="${href}"><strong>${e(title)}</strong><br><span class="muted">${e(text)}</span></a>`;
}

export interface ConnectionRow {
  id: string;
  name: string;
  kind: "saml" | "oidc";
  status: string;
}

export function ssoPage(chrome: Chrome, connections: ConnectionRow[]): string {
  const rows = connections.length
    ? `<div class="scroll"><table><thead><tr><th scope="col">Connection</th><th scope="col">Protocol</th><th scope="col">Status</th></tr></thead><tbody>${connections
        .map((c) => `<tr><td><a href="/portal/sso/c/${e(c.id)}">${e(c.name)}</a></td><td>${c.kind === "saml" ? "SAML 2.0" : "OpenID Connect"}</td><td>${badge(c.status)}</td></tr>`)
        .join("")}</tbody></table></div>`
    : `<p class="muted">No connection yet.</p>`;
  const choices = IDP_GUIDES.map(
    (g) => `<li><button type="submit" name="idp" value="${e(g.id)}" class="secondary">${e(g.label)}</button></li>`,
  ).join("");
  return layout(
    "Single sign-on",
    `<h1>Single sign-on</h1><div class="card">${rows}</div><h2 id="choose">Add a connection: which identity provider do you use?</h2><form method="post" action="/portal/sso/new" aria-labelledby="choose">${csrfField(chrome.csrf)}<ul class="grid plain">${choices}</ul></form>`,
    chrome,
  );
}

export interface SpValues {
  acsUrl: string;
  entityId: string;
  metadataUrl: string;
  redirectUri: string;
}

export interface TestView {
  id: string;
  startedAt: number;
  status: "pending" | "succeeded" | "failed";
  result?: TestResult;
  failure?: { code: string; detail: string; at: number; ref: string };
}

export interface TestResult {
  asserted: { subject: string; email?: string; name?: string; groups?: string[]; attributes?: Record<string, unknown> };
  user: { existing: boolean; email?: string; name?: string };
  group: string;
  roles: string[];
}

export interface CertView {
  subjectCn: string | null;
  notAfter: number;
  sha256: string;
}

export interface ConnectionPageData {
  connection: ConnectionRow;
  guide: IdpGuide;
  sp: SpValues;
  configured: boolean;
  errors: Record<string, string>;
  form: Record<string, string>;
  notice?: string;
  test?: TestView;
  certificates: CertView[];
  now: number;
  warnDays: number;
}

function fieldError(errors: Record<string, string>, name: string): string {
  return errors[name] ? `<p class="error" id="${e(name)}-error">${e(errors[name]!)}</p>` : "";
}

function input(name: string, label: string, type: string, data: ConnectionPageData, hint?: string): string {
  const err = data.errors[name];
  const described = [hint ? `${name}-hint` : "", err ? `${name}-error` : ""].filter(Boolean).join(" ");
  const value = type === "password" ? "" : data.form[name] ?? "";
  return `<label for="${e(name)}">${e(label)}</label><input type="${type}" id="${e(name)}" name="${e(name)}" value="${e(value)}"${err ? ' class="field-error" aria-invalid="true"' : ""}${described ? ` aria-describedby="${e(described)}"` : ""} autocomplete="off">${hint ? `<p class="hint" id="${e(name)}-hint">${e(hint)}</p>` : ""}${fieldError(data.errors, name)}`;
}

const VALUE_LABELS: Record<StepValue, string> = {
  acsUrl: "ACS URL",
  entityId: "SP entity ID",
  metadataUrl: "SP metadata URL",
  redirectUri: "Redirect URI",
};

function stepHtml(step: string, sp: SpValues, n: number): string {
  const parts = step.split(/\{(acsUrl|entityId|metadataUrl|redirectUri)\}/);
  let html = "";
  const copies: string[] = [];
  parts.forEach((p, i) => {
    if (i % 2 === 0) html += e(p);
    else {
      const key = p as StepValue;
      html += `<strong>${VALUE_LABELS[key]}</strong>`;
      copies.push(copyField(`step${n}-${key}`, VALUE_LABELS[key], sp[key]));
    }
  });
  return `<li>${html}${copies.join("")}</li>`;
}

export function connectionPage(chrome: Chrome, d: ConnectionPageData): string {
  const c = d.connection;
  const g = d.guide;
  const notice = d.notice ? `<div class="notice ok" role="status">${e(d.notice)}</div>` : "";
  const errorSummary = Object.keys(d.errors).length
    ? `<div class="notice bad" role="alert"><strong>Not saved.</strong> ${Object.values(d.errors).map(e).join(" ")}</div>`
    : "";
  const ours =
    g.kind === "saml"
      ? `${copyField("acs-url", "ACS URL (Reply URL, Single sign-on URL)", d.sp.acsUrl)}${copyField("entity-id", "SP entity ID (Audience, Identifier)", d.sp.entityId)}${copyField("metadata-url", "SP metadata URL", d.sp.metadataUrl)}<p><a href="${e(d.sp.metadataUrl)}" download="sp-metadata.xml">Download SP metadata (XML)</a></p>`
      : copyField("redirect-uri", "Redirect URI", d.sp.redirectUri);
  const names = expectedNames(g)
    .map((x) => `<tr><th scope="row">${e(x.field)}</th><td>${x.names.map((n) => `<code>${e(n)}</code>`).join(", ") || '<span class="muted">—</span>'}</td></tr>`)
    .join("");
  const steps = `<ol class="steps">${g.steps.map((s, i) => stepHtml(s, d.sp, i + 1)).join("")}</ol>`;
  const idpForm =
    g.kind === "saml"
      ? `<fieldset><legend>Your IdP's metadata</legend>${input("metadataUrl", "Metadata URL", "url", d, "https URL of the IdP's SAML metadata. Or upload the file instead:")}<label for="metadataFile">Metadata file (XML)</label><input type="file" id="metadataFile" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml"${d.errors.metadataFile ? ' aria-invalid="true" aria-describedby="metadataFile-error"' : ""}>${fieldError(d.errors, "metadataFile")}</fieldset>`
      : `<fieldset><legend>Your OpenID provider</legend>${input("issuer", "Issuer URL", "url", d, "For example https://login.example.com — we read /.well-known/openid-configuration from it.")}${input("clientId", "Client ID", "text", d)}${input("clientSecret", "Client secret", "password", d, d.configured ? "Leave empty to keep the saved secret." : "Stored encrypted; never shown again.")}</fieldset>`;
  const enctype = g.kind === "saml" ? ' enctype="multipart/form-data"' : "";
  const save = `<form method="post" action="/portal/sso/c/${e(c.id)}/idp"${enctype}>${csrfField(chrome.csrf)}${idpForm}<button type="submit">Save ${g.kind === "saml" ? "metadata" : "provider settings"}</button></form>`;

  const testSection = d.configured
    ? `${testHtml(d.test)}<div class="actions"><form method="post" action="/portal/sso/c/${e(c.id)}/test" target="_blank" class="inline">${csrfField(chrome.csrf)}<button type="submit" class="secondary">Test sign-in (opens a new window)</button></form>${
        c.status !== "active"
          ? `<form method="post" action="/portal/sso/c/${e(c.id)}/activate" class="inline">${csrfField(chrome.csrf)}<button type="submit"${d.test?.status === "succeeded" ? "" : ' disabled aria-disabled="true"'}>Activate</button></form>${d.test?.status === "succeeded" ? "" : '<span class="muted">Activate is possible after a successful test.</span>'}`
          : `<span class="muted">This connection is active: people of ${e(chrome.groupName)} sign in through it.</span>`
      }<a class="button secondary" href="/portal/sso/c/${e(c.id)}">Refresh</a></div>`
    : `<p class="muted">Save your IdP's details first; then run a test sign-in.</p>`;

  const certs = d.certificates.length
    ? `<h2>IdP signing certificates</h2><p><a href="/portal/sso/c/${e(c.id)}/certificates">Manage certificates: upload the IdP's next one, rotate ours</a></p><div class="card scroll"><table><thead><tr><th scope="col">Subject</th><th scope="col">Expires</th><th scope="col">SHA-256</th></tr></thead><tbody>${d.certificates
        .map((cert) => {
          const x = expiryState(cert.notAfter, d.now, d.warnDays);
          const state = x.flagged ? `<span class="error">${e(x.text)} — upload the next certificate</span>` : `<span class="muted">${e(x.text)}</span>`;
          return `<tr><td>${e(cert.subjectCn ?? "—")}</td><td>${e(when(cert.notAfter))}<br>${state}</td><td><code>${e(cert.sha256.slice(0, 23))}…</code></td></tr>`;
        })
        .join("")}</tbody></table></div>`
    : "";

  return layout(
    `${c.name} — single sign-on`,
    `<p><a href="/portal/sso">← All connections</a></p><h1>${e(c.name)} ${badge(c.status)}</h1>${notice}${errorSummary}
<h2>1. Values for ${e(g.label)}</h2><div class="card">${ours}</div>
<h2>2. In ${e(g.label)}</h2><div class="card">${steps}<h3>Attributes we read</h3><div class="scroll"><table><tbody>${names}</tbody></table></div></div>
<h2>3. Tell us about your IdP</h2><div class="card">${save}</div>
<h2>4. Test, then activate</h2><div class="card" id="test">${testSection}</div>${certs}`,
    chrome,
  );
}

function testHtml(t: TestView | undefined): string {
  if (!t) return `<p class="muted">No test yet.</p>`;
  if (t.status === "pending") return `<div class="notice" role="status">Test started ${e(when(t.startedAt))}: finish the sign-in in the other window, then press Refresh.</div>`;
  if (t.status === "failed" && t.failure) {
    const f = failureText(t.failure.code);
    return `<div class="notice bad" role="alert"><strong>Test failed</strong> (<code>${e(t.failure.code)}</code>, ${e(when(t.failure.at))}). ${e(f.sentence)}<br><strong>Fix:</strong> ${e(f.fix)}</div><details><summary>Detail (reference ${e(t.failure.ref)})</summary><pre>${e(t.failure.detail)}</pre></details>`;
  }
  return t.result ? testResultHtml(t.result) : "";
}

export function testResultHtml(r: TestResult): string {
  const attrs = Object.entries(r.asserted.attributes ?? {})
    .map(([k, v]) => `<tr><th scope="row"><code>${e(k)}</code></th><td>${e(Array.isArray(v) ? v.join(", ") : typeof v === "string" ? v : JSON.stringify(v))}</td></tr>`)
    .join("");
  return `<div class="notice ok" role="status"><strong>Test sign-in succeeded.</strong> The test created no session and no user.</div>
<div class="scroll"><table id="test-result"><tbody>
<tr><th scope="row">Subject</th><td>${e(r.asserted.subject)}</td></tr>
<tr><th scope="row">Email</th><td>${e(r.asserted.email ?? "—")}</td></tr>
<tr><th scope="row">Name</th><td>${e(r.asserted.name ?? "—")}</td></tr>
<tr><th scope="row">Groups asserted</th><td>${e((r.asserted.groups ?? []).join(", ") || "—")}</td></tr>
<tr><th scope="row">User</th><td>${r.user.existing ? "existing user" : "a new user would be created"} ${e(r.user.email ?? "")}</td></tr>
<tr><th scope="row">Group</th><td>${e(r.group)}</td></tr>
<tr><th scope="row">Role</th><td id="test-role">${e(r.roles.join(", "))}</td></tr>
</tbody></table></div>${attrs ? `<details><summary>All attributes the IdP sent</summary><div class="scroll"><table><tbody>${attrs}</tbody></table></div></details>` : ""}`;
}

/** The page the test window lands on. */
export function testResultPage(chrome: Chrome, connectionId: string, view: TestView): string {
  return layout(
    "Test sign-in result",
    `<h1>Test sign-in result</h1>${testHtml(view)}<p><a href="/portal/sso/c/${e(connectionId)}">Back to the connection</a> — you can close this window.</p>`,
    chrome,
  );
}

/** The interstitial after the Test form: a meta refresh (no script; not a form redirect under form-action). */
export function continueToTestPage(goUrl: string): string {
  return layout(
    "Starting the test sign-in",
    `<div class="card center"><h1>Starting the test sign-in…</h1><p><a href="${e(goUrl)}">Continue to your identity provider</a></p></div>`,
  ).replace("<head>", `<head><meta http-equiv="refresh" content="0;url=${e(goUrl)}">`);
}

export interface DirectoryView {
  id: string;
  name: string;
  baseUrl: string;
  users: number;
  groups: number;
  tokens: Array<{ id: string; name: string; hint: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }>;
  requests?: ScimRequestView[];
}

export function scimPage(chrome: Chrome, dirs: DirectoryView[], minted?: { directoryId: string; token: string }, now = Date.now()): string {
  void now;
  const list = dirs
    .map((d) => {
      const shown =
        minted?.directoryId === d.id
          ? `<div class="notice ok" role="status"><strong>New token — copy it now, it is shown only once.</strong> Older tokens keep working until you revoke them.${copyField("new-token", "Bearer token", minted.token)}</div>`
          : "";
      const tokens = d.tokens.length
        ? `<div class="scroll"><table><thead><tr><th scope="col">Token</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th></tr></thead><tbody>${d.tokens
            .map(
              (t) =>
                `<tr><td><code>${e(t.hint)}…</code> ${e(t.name)}</td><td>${e(when(t.createdAt))}</td><td>${t.lastUsedAt ? e(when(t.lastUsedAt)) : "never"}</td><td>${
                  t.revokedAt
                    ? "revoked"
                    : `<form method="post" action="/portal/scim/${e(d.id)}/revoke" class="inline">${csrfField(chrome.csrf)}<input type="hidden" name="tokenId" value="${e(t.id)}"><button type="submit" class="danger" aria-label="Revoke token ${e(t.hint)}">Revoke</button></form>`
                }</td></tr>`,
            )
            .join("")}</tbody></table></div>`
        : `<p class="muted">No token yet.</p>`;
      return `<div class="card"><h2>${e(d.name)}</h2>${copyField(`base-${d.id}`, "SCIM base URL (Tenant URL)", d.baseUrl)}<p class="muted">${count(d.users, "user")}, ${count(d.groups, "group")} provisioned.</p>${shown}${tokens}<form method="post" action="/portal/scim/${e(d.id)}/token" class="actions">${csrfField(chrome.csrf)}<button type="submit">${d.tokens.some((t) => !t.revokedAt) ? "Rotate: mint a new token" : "Mint a token"}</button></form>${d.requests ? scimRequestsHtml(d.id, d.requests) : ""}</div>`;
    })
    .join("");
  const create = `<form method="post" action="/portal/scim/new" class="card">${csrfField(chrome.csrf)}<label for="dirname">Directory name</label><input type="text" id="dirname" name="name" value="${e(chrome.groupName)} directory" maxlength="100"><div class="actions"><button type="submit">Create a SCIM directory</button></div></form>`;
  return layout(
    "Provisioning (SCIM)",
    `<h1>Provisioning (SCIM 2.0)</h1><p>Your IdP (Okta, Entra ID…) creates, updates and deactivates people here. Give it the base URL and a bearer token.</p>${list}${dirs.length ? "" : create}`,
    chrome,
  );
}

export interface DomainView {
  id: string;
  domain: string;
  verified: boolean;
  record?: { name: string; value: string };
}

export function domainsPage(chrome: Chrome, domains: DomainView[], opts: { error?: string; notice?: string; form?: string } = {}): string {
  const rows = domains
    .map((d) => {
      const body = d.verified
        ? `<p>Verified: sign-ins with an <code>@${e(d.domain)}</code> address find your connection.</p>`
        : d.record
          ? `<p>Publish this TXT record at your DNS provider, then press Verify:</p>${copyField(`txt-name-${d.id}`, "Name (host)", d.record.name)}${copyField(`txt-value-${d.id}`, "Value", d.record.value)}<form method="post" action="/portal/domains/${e(d.id)}/verify" class="actions">${csrfField(chrome.csrf)}<button type="submit">Verify ${e(d.domain)}</button></form>`
          : "";
      return `<div class="card"><h2>${e(d.domain)} ${badge(d.verified ? "verified" : "unverified")}</h2>${body}</div>`;
    })
    .join("");
  const err = opts.error ? `<p class="error" id="domain-error">${e(opts.error)}</p>` : "";
  return layout(
    "Domains",
    `<h1>Domains</h1><p>Prove that your organisation owns its email domains. Only verified domains send people to your identity provider and let accounts be linked by email.</p>${opts.notice ? `<div class="notice ok" role="status">${e(opts.notice)}</div>` : ""}${rows}<form method="post" action="/portal/domains" class="card">${csrfField(chrome.csrf)}<label for="domain">Add a domain</label><input type="text" id="domain" name="domain" value="${e(opts.form ?? "")}" placeholder="example.com"${opts.error ? ' aria-invalid="true" aria-describedby="domain-error"' : ""}>${err}<div class="actions"><button type="submit">Add domain</button></div></form>`,
    chrome,
  );
}

export interface FailureView {
  code: string;
  at: number;
  connection: string;
  detail: string;
  ref: string;
}

export function failuresPage(chrome: Chrome, failures: FailureView[]): string {
  const rows = failures.length
    ? `<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">Connection</th><th scope="col">What happened</th></tr></thead><tbody>${failures
        .map((f) => {
          const t = failureText(f.code);
          return `<tr><td>${e(when(f.at))}</td><td>${e(f.connection)}</td><td><code>${e(f.code)}</code> ${e(t.sentence)} <strong>Fix:</strong> ${e(t.fix)}<details><summary>Detail (reference ${e(f.ref)})</summary><pre>${e(f.detail)}</pre></details></td></tr>`;
        })
        .join("")}</tbody></table></div>`
    : `<p class="muted">No failed sign-in recently.</p>`;
  return layout("Sign-in failures", `<h1>Recent sign-in failures</h1><div class="card">${rows}</div>`, chrome);
}
