// The operator page (the app team's view, /portal/operator/): every group with the state of its connections,
// SCIM directories, domains and the setup links issued, with "create setup link" and "revoke". Pure: data in,
// HTML out; same stylesheet, script and CSP as the setup portal.
import { escapeHtml as e } from "../shared/html";
import { badge, count, when } from "./format";
import { copyField, csrfField, layout, messagePage } from "./pages";

const BANNER = "Gateway operator";
const INTENTS = [
  ["sso", "Single sign-on"],
  ["scim", "Provisioning (SCIM)"],
  ["domains", "Domains"],
  ["traces", "Sign-in failures"],
] as const;
const EXPIRY_DAYS = [1, 7, 30] as const;

export interface OperatorGroup {
  groupId: string;
  group: string;
  name: string;
  connections: Array<{ id: string; name: string; kind: "saml" | "oidc"; status: string; tested: boolean | null }>;
  directories: Array<{
    directoryId: string;
    slug: string;
    name: string;
    users: number;
    groups: number;
    activeTokens: number;
    lastRequest: { at: number; method: string; path: string; status: number } | null;
  }>;
  domains: Array<{ domain: string; verified: boolean }>;
  links: Array<{ linkId: string; intents: string[]; createdAt: number; expiresAt: number; createdBy: string | null; state: string }>;
}

export interface OperatorPageData {
  groups: OperatorGroup[];
  csrf: string;
  expiresAt: number;
  /** A setup link just created: its URL is shown once, in its group's card. */
  minted?: { groupId: string; url: string; expiresAt: number };
  notice?: string;
  error?: { groupId: string; message: string };
}

function rows(caption: string, items: string[], empty: string): string {
  return `<h3>${e(caption)}</h3>${items.length ? `<ul class="rows">${items.map((i) => `<li>${i}</li>`).join("")}</ul>` : `<p class="muted">${e(empty)}</p>`}`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function tested(t: boolean | null): string {
  return t === null ? "" : t ? badge("ok", "tested") : badge("untested", "not tested");
}

function groupCard(g: OperatorGroup, i: number, d: OperatorPageData): string {
  const id = `g${i}`;
  const connections = g.connections.map(
    (c) => `<span class="grow"><strong>${e(c.name)}</strong> <span class="muted">${c.kind === "saml" ? "SAML" : "OIDC"}</span></span>${badge(c.status === "active" ? "active" : "inactive", c.status)}${tested(c.tested)}`,
  );
  const directories = g.directories.map((dir) => {
    const last = dir.lastRequest
      ? `last request ${e(when(dir.lastRequest.at))} <code>${e(dir.lastRequest.method)} ${e(dir.lastRequest.path)}</code> ${badge(dir.lastRequest.status < 400 ? "ok" : dir.lastRequest.status === 401 ? "warn" : "fail", String(dir.lastRequest.status))}`
      : "no request yet";
    return `<span class="grow"><strong>${e(dir.name)}</strong> <code>${e(dir.slug)}</code><br><span class="muted">${plural(dir.users, "user")}, ${plural(dir.groups, "group")} · ${plural(dir.activeTokens, "active token")}</span><br><span class="muted">${last}</span></span>`;
  });
  const domains = g.domains.map((x) => `<span class="grow">${e(x.domain)}</span>${badge(x.verified ? "verified" : "unverified")}`);
  const links = g.links.map((l) => {
    const revoke =
      l.state === "open" || l.state === "used"
        ? `<form method="post" action="/portal/operator/links/${e(l.linkId)}/revoke" class="inline">${csrfField(d.csrf)}<button type="submit" class="danger" aria-label="Revoke the setup link issued ${e(when(l.createdAt))} for ${e(g.name)}">Revoke</button></form>`
        : "";
    return `<span class="grow">${badge(l.state)} ${l.intents.map(e).join(", ")}<br><span class="muted">issued ${e(when(l.createdAt))}${l.createdBy ? ` by ${e(l.createdBy)}` : ""} · expires ${e(when(l.expiresAt))}</span></span>${revoke}`;
  });
  const minted =
    d.minted?.groupId === g.groupId
      ? `<div class="notice ok" role="status"><strong>New setup link — copy it now, it is shown only once.</strong> It expires ${e(when(d.minted.expiresAt))}. Send it to ${e(g.name)}'s IT admin.${copyField("new-link", "Setup link", d.minted.url)}</div>`
      : "";
  const error = d.error?.groupId === g.groupId ? `<div class="notice bad" role="alert">${e(d.error.message)}</div>` : "";
  const create = `<form method="post" action="/portal/operator/links" class="create-link">${csrfField(d.csrf)}<input type="hidden" name="groupId" value="${e(g.groupId)}"><fieldset><legend>New setup link for ${e(g.name)}</legend><div class="checks">${INTENTS.map(
    ([v, label]) => `<label class="check"><input type="checkbox" name="intent_${v}" value="1" checked> ${e(label)}</label>`,
  ).join("")}</div><label for="${id}-days">Expires after</label><select id="${id}-days" name="days">${EXPIRY_DAYS.map((n) => `<option value="${n}"${n === 7 ? " selected" : ""}>${n} day${n === 1 ? "" : "s"}</option>`).join("")}</select><div class="actions"><button type="submit">Create setup link</button></div></fieldset></form>`;
  return `<section class="card" aria-labelledby="${id}"><h2 id="${id}">${e(g.name)} <span class="muted">(${e(g.group)})</span></h2>${minted}${error}
${rows("Connections", connections, "No connection.")}
${rows("SCIM directories", directories, "No directory.")}
${rows("Domains", domains, "No domain.")}
${rows("Setup links", links, "No setup link issued.")}
${create}</section>`;
}

export function operatorPage(d: OperatorPageData): string {
  const active = d.groups.reduce((n, g) => n + g.connections.filter((c) => c.status === "active").length, 0);
  const notice = d.notice ? `<div class="notice ok" role="status">${e(d.notice)}</div>` : "";
  const summary = `<p>${count(d.groups.length, "group")}, ${count(active, "active connection")}. Create a setup link for a customer's IT admin, or withdraw one.</p>`;
  const toc = d.groups.length > 1 ? `<nav aria-label="Groups"><ul class="plain inline-list">${d.groups.map((g, i) => `<li><a href="#g${i}">${e(g.name)}</a></li>`).join("")}</ul></nav>` : "";
  const groups = d.groups.length ? d.groups.map((g, i) => groupCard(g, i, d)).join("") : `<div class="card"><p class="muted">No group yet: create one with <code>npm run admin -- admin/groups:create</code>.</p></div>`;
  return layout(
    "Gateway operator",
    `<h1>Groups and setup links</h1>${notice}${summary}${toc}${groups}<form method="post" action="/portal/operator/logout" class="actions">${csrfField(d.csrf)}<button type="submit" class="secondary">Sign out</button><span class="muted">Session ends ${e(when(d.expiresAt))}</span></form>`,
    undefined,
    BANNER,
  );
}

/** GET of an operator link: nothing is consumed until the button is pressed (mail scanners follow GETs). */
/** Any other message on the operator page (not allowed, not found, signed out). */
export function operatorMessagePage(title: string, message: string): string {
  return messagePage(title, message, BANNER);
}

export function openOperatorLinkPage(token: string): string {
  return layout(
    "Open the operator page",
    `<div class="card center"><h1>Open the gateway's operator page</h1><p>This link opens the operator page once, in this browser, for one hour.</p><form method="post" action="/portal/operator/link"><input type="hidden" name="token" value="${e(token)}"><button type="submit">Open the operator page</button></form></div>`,
    undefined,
    BANNER,
  );
}

const PROBLEMS: Record<string, [string, number]> = {
  unknown: ["This operator link is not valid", 404],
  used: ["This operator link was already used", 410],
  expired: ["This operator link has expired", 410],
  revoked: ["This operator link was withdrawn", 410],
};

/** Expired, used, withdrawn or forged link: a clear page, and no session. */
export function operatorLinkProblem(reason: string): { html: string; status: number } {
  const [title, status] = PROBLEMS[reason] ?? PROBLEMS.unknown!;
  return { html: messagePage(title, "Operator links work once and for a few minutes. Mint a new one: npm run admin -- operator-link, or from your application's admin page.", BANNER), status };
}

export function operatorEndedPage(): string {
  return messagePage("Your operator session has ended", "Operator sessions last one hour. Mint a new operator link: npm run admin -- operator-link, or from your application's admin page.", BANNER);
}
