// The portal SCIM page's "Recent provisioning requests": what the IdP asked and what it got back, newest first,
// with a sentence an IT admin understands for the common failures. Pure: rows in, HTML out.
import { escapeHtml as e } from "../shared/html";
import { badge, when } from "./format";

export interface ScimRequestView {
  at: number;
  method: string;
  path: string;
  query: boolean;
  status: number;
  scimType: string | null;
  token: { name: string; hint: string } | null;
  durationMs: number | null;
  count: number;
}

const BY_TYPE: Record<string, string> = {
  uniqueness: "Already exists: another user or group here has this userName or displayName. The IdP should look it up (filter by userName) and update it instead of creating it again; or remove the duplicate.",
  invalidFilter: "The IdP sent a filter we cannot read or that uses an attribute we do not filter on.",
  invalidSyntax: "The request body is not valid SCIM JSON.",
  invalidValue: "A value in the request is not allowed (wrong type, or a required attribute such as userName is missing).",
  invalidPath: "A PATCH path names an attribute that does not exist.",
  noTarget: "A PATCH path matched nothing to change.",
  mutability: "The IdP tried to change a read-only attribute (such as id).",
  tooMany: "The request asks for more than one response may hold; the IdP should page or exclude members.",
  invalidVers: "The version the IdP sent does not match the stored one.",
  sensitive: "The request put sensitive data in the URL.",
};

const BY_STATUS: Record<number, string> = {
  200: "Done.",
  201: "Created.",
  204: "Done.",
  304: "Not modified.",
  401: "Bad token: the bearer token is missing, wrong, expired or revoked. Mint a new token here and paste it into your IdP.",
  403: "Not allowed.",
  404: "Not found: the IdP refers to a user or group that does not exist in this directory (deleted here, or never created).",
  405: "The IdP used a method this endpoint does not support.",
  409: "Conflict with what is stored.",
  412: "The resource changed since the IdP last read it (version mismatch); the IdP should read it again.",
  413: "The request is too large.",
  415: "The IdP sent a content type other than application/scim+json.",
  500: "Something went wrong on our side; the IdP will retry. If it repeats, tell the application's team.",
};

/** The sentence for one outcome (status + scimType). */
export function scimOutcomeText(status: number, scimType: string | null): string {
  if (scimType && BY_TYPE[scimType]) return BY_TYPE[scimType]!;
  return BY_STATUS[status] ?? (status < 400 ? "Done." : status < 500 ? "Refused." : "Failed on our side.");
}

function outcomeBadge(status: number): string {
  return badge(status < 400 ? "ok" : status === 401 ? "warn" : "fail", String(status));
}

export function scimRequestsHtml(directoryId: string, rows: readonly ScimRequestView[]): string {
  const id = `requests-${directoryId}`;
  const title = `<h3 id="${e(id)}">Recent provisioning requests</h3>`;
  if (!rows.length) return `${title}<p class="muted">No request yet. When your IdP connects, each request and its outcome shows up here.</p>`;
  const items = rows
    .map((r) => {
      const times = r.count > 1 ? ` <strong>×${r.count}</strong>` : "";
      const meta = [e(when(r.at)), r.token ? `token ${e(r.token.hint)}… (${e(r.token.name)})` : "", r.durationMs !== null ? `${r.durationMs} ms` : ""].filter(Boolean).join(" · ");
      const text = r.status < 400 ? `<span class="muted">${e(scimOutcomeText(r.status, r.scimType))}</span>` : e(scimOutcomeText(r.status, r.scimType));
      return `<li><span class="grow">${outcomeBadge(r.status)} <code>${e(r.method)} ${e(r.path)}${r.query ? "?…" : ""}</code>${r.scimType ? ` <code>${e(r.scimType)}</code>` : ""}${times}<br>${text}<br><span class="muted">${meta}</span></span></li>`;
    })
    .join("");
  return `${title}<ul class="rows log" aria-labelledby="${e(id)}">${items}</ul>`;
}
