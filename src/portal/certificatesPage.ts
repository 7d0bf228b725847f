// The certificates page of one SAML connection (pure rendering, everything escaped): the IdP's signing
// certificates (current and next, with expiry and the warning window), the upload of the next one, and the
// rotation of our own SP certificates with overlap — each step said in plain words for the IT admin.
import { escapeHtml as e } from "../shared/html";
import { csrfField, layout, type Chrome, type ConnectionRow } from "./pages";
import { when } from "./format";
import { expiryState } from "./expiry";

export interface IdpCertRow {
  /** First in the trusted list: the one the IdP signs with today. Later ones: uploaded / published next. */
  role: "current" | "next";
  subjectCn: string | null;
  notAfter: number;
  sha256: string;
  /** Set on the certificate that verified the latest sign-in: since when it does. */
  signingSince?: number;
}

export interface SpKeyRow {
  use: "signing" | "encryption";
  status: "active" | "next" | "previous";
  subjectCn: string | null;
  notAfter: number;
  sha256: string;
  createdAt: number;
  replacedAt?: number;
}

export interface CertificatesPageData {
  connection: ConnectionRow;
  idpLabel: string;
  idpCertificates: IdpCertRow[];
  /** Set when the IdP side comes from a metadata URL that the daily refresh re-reads. */
  metadataUrl: string | null;
  sp: { keys: SpKeyRow[]; signs: boolean; encrypts: boolean; metadataUrl: string };
  errors: Record<string, string>;
  form: { certificate?: string };
  notice?: string;
  now: number;
  warnDays: number;
}

/** The stage of our SP rotation, from the key statuses. */
export function spRotationStage(keys: readonly SpKeyRow[]): "steady" | "next_published" | "overlap" {
  if (keys.some((k) => k.status === "next")) return "next_published";
  if (keys.some((k) => k.status === "previous")) return "overlap";
  return "steady";
}

/** The IdP's name at the start of a sentence ("your IdP" → "Your IdP"). */
const cap = (label: string) => label.charAt(0).toUpperCase() + label.slice(1);

const fingerprint = (sha256: string) => `<code title="SHA-256 ${e(sha256)}">${e(sha256.slice(0, 23))}…</code>`;

function expiryCell(notAfter: number, d: CertificatesPageData): string {
  const x = expiryState(notAfter, d.now, d.warnDays);
  const flag = x.flagged ? `<strong class="error">${e(x.text)}</strong>` : `<span class="muted">${e(x.text)}</span>`;
  return `${e(when(notAfter))}<br>${flag}`;
}

function action(chrome: Chrome, href: string, label: string, opts: { danger?: boolean; fields?: Record<string, string>; aria?: string } = {}): string {
  const hidden = Object.entries(opts.fields ?? {})
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join("");
  return `<form method="post" action="${e(href)}" class="inline">${csrfField(chrome.csrf)}${hidden}<button type="submit"${opts.danger ? ' class="danger"' : ""}${opts.aria ? ` aria-label="${e(opts.aria)}"` : ""}>${e(label)}</button></form>`;
}

function idpSection(chrome: Chrome, d: CertificatesPageData, base: string): string {
  const hasNext = d.idpCertificates.some((c) => c.role === "next");
  const rows = d.idpCertificates
    .map((c) => {
      const role = c.role === "current" ? "In use now" : "Next (also accepted)";
      const signing = c.signingSince !== undefined ? `<br><span class="badge ok">Signing sign-ins now</span><br><span class="muted">(since ${e(when(c.signingSince))})</span>` : "";
      const actions =
        c.role === "next"
          ? `<div class="actions">${action(chrome, `${base}/idp/promote`, "Make current, remove the old one", { fields: { sha256: c.sha256 }, aria: `Make current, remove the old one (certificate ${c.sha256.slice(0, 8)})` })}${action(chrome, `${base}/idp/remove`, "Remove", { danger: true, fields: { sha256: c.sha256 }, aria: `Remove (next certificate ${c.sha256.slice(0, 8)})` })}</div>`
          : "";
      return `<tr><td><strong>${role}</strong><br>${e(c.subjectCn ?? "—")}${signing}</td><td data-label="Expires">${expiryCell(c.notAfter, d)}</td><td data-label="Fingerprint">${fingerprint(c.sha256)}${actions}</td></tr>`;
    })
    .join("");
  // The IdP already signs with the next certificate: time to make it current (the signal the admin waits for).
  const nextSigns = d.idpCertificates.some((c) => c.role === "next" && c.signingSince !== undefined);
  const switched = nextSigns
    ? `<div class="notice" role="status"><strong>${e(cap(d.idpLabel))} now signs with the new certificate: make it current.</strong> Press “Make current, remove the old one” next to it.</div>`
    : "";
  const explain = hasNext
    ? `<p>${e(cap(d.idpLabel))} may sign with either certificate now: sign-ins keep working while it switches.${nextSigns ? "" : ` <strong>Once ${e(d.idpLabel)} signs with the new certificate</strong> (this page marks the one signing sign-ins now), press “Make current, remove the old one”.`}</p>`
    : `<p>Before ${e(d.idpLabel)}'s certificate expires, it creates a new one. Upload that new certificate here <strong>before</strong> ${e(d.idpLabel)} starts using it: both are then accepted, so nobody is locked out during the switch.</p>`;
  const fromUrl = d.metadataUrl
    ? `<p class="hint">This connection re-reads ${e(d.idpLabel)}'s metadata URL every day and then trusts exactly the certificates published there; an uploaded certificate lasts until that refresh.</p>`
    : "";
  const err = (name: string) => (d.errors[name] ? `<p class="error" id="${name}-error">${e(d.errors[name]!)}</p>` : "");
  const invalid = (name: string) => (d.errors[name] ? ` aria-invalid="true" aria-describedby="${name}-hint ${name}-error"` : ` aria-describedby="${name}-hint"`);
  const upload = d.idpCertificates.length >= 4
    ? `<p class="muted">Four certificates are trusted already: remove one before uploading another.</p>`
    : `<form method="post" action="${e(base)}/idp" enctype="multipart/form-data">${csrfField(chrome.csrf)}<fieldset><legend>Upload the next certificate</legend><label for="certificate">Certificate (PEM)</label><textarea id="certificate" name="certificate" rows="6" spellcheck="false" placeholder="-----BEGIN CERTIFICATE-----"${invalid("certificate")}>${e(d.form.certificate ?? "")}</textarea><p class="hint" id="certificate-hint">Paste the IdP's new signing certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. Never a private key.</p>${err("certificate")}<label for="certificateFile">Or choose the certificate file (.pem, .cer, .crt)</label><input type="file" id="certificateFile" name="certificateFile" accept=".pem,.cer,.crt,application/x-x509-ca-cert,application/x-pem-file"${invalid("certificateFile")}><p class="hint" id="certificateFile-hint">One certificate per upload, in PEM (Base-64) form.</p>${err("certificateFile")}</fieldset><button type="submit">Upload the next certificate</button></form>`;
  return `<h2 id="idp-certs">${e(cap(d.idpLabel))}'s signing certificates</h2><div class="card">${switched}${explain}<div class="scroll"><table class="stack" aria-labelledby="idp-certs"><thead><tr><th scope="col">Certificate</th><th scope="col">Expires</th><th scope="col">Fingerprint</th></tr></thead><tbody>${rows}</tbody></table></div>${fromUrl}${upload}</div>`;
}

const USE_LABEL = { signing: "Signing (our requests)", encryption: "Encryption (assertions to us)" } as const;
const STATUS_LABEL = { active: "In use now", next: "Next (published)", previous: "Old (still decrypts)" } as const;

function spSection(chrome: Chrome, d: CertificatesPageData, base: string): string {
  const stage = spRotationStage(d.sp.keys);
  const order = { next: 0, active: 1, previous: 2 } as const;
  const rows = [...d.sp.keys]
    .sort((a, b) => order[a.status] - order[b.status] || a.use.localeCompare(b.use))
    .map(
      (k) =>
        `<tr><td><strong>${STATUS_LABEL[k.status]}</strong><br>${USE_LABEL[k.use]}</td><td data-label="Expires">${expiryCell(k.notAfter, d)}</td><td data-label="Fingerprint">${fingerprint(k.sha256)}</td></tr>`,
    )
    .join("");
  const used = d.sp.signs || d.sp.encrypts;
  const who = e(d.idpLabel);
  const relevance = used
    ? `<p>${e(cap(d.idpLabel))} uses our certificate${d.sp.signs && d.sp.encrypts ? "s" : ""} to ${[d.sp.signs ? "check the signature on our sign-in requests" : "", d.sp.encrypts ? "encrypt the assertions it sends us" : ""].filter(Boolean).join(" and ")}. Rotating takes three steps, and sign-ins keep working throughout.</p>`
    : `<p>This connection neither signs its requests nor receives encrypted assertions, so ${who} does not use our certificates. You can still rotate them; nothing changes for ${who}.</p>`;
  let step: string;
  if (stage === "steady") {
    step = `<p><strong>Step 1 of 3.</strong> Create the next certificate. It is added to our SP metadata next to the current one; nothing changes for sign-ins yet.</p><div class="actions">${action(chrome, `${base}/sp/next`, "Create next SP certificate")}</div>`;
  } else if (stage === "next_published") {
    const todo = used
      ? `Our SP metadata now lists both certificates. In ${who}, re-import our SP metadata (or add the new certificate) so that it knows the new one.`
      : `${e(cap(d.idpLabel))} does not use our certificates, so nothing needs to change there.`;
    step = `<p><strong>Step 2 of 3.</strong> ${todo} Then switch: we start using the new certificate, and the old one keeps decrypting for a while.</p>${metadataLinks(d)}<div class="actions">${action(chrome, `${base}/sp/switch`, "Switch to the new certificate")}</div>`;
  } else {
    const retireWhen = used
      ? `When ${d.idpLabel} shows only the new certificate (re-import our SP metadata once more to be sure), retire the old one.`
      : `${cap(d.idpLabel)} does not use our certificates, so you can retire the old one now.`;
    step = `<p><strong>Step 3 of 3.</strong> We use the new certificate. The old one is no longer published but still decrypts assertions, for an IdP that has not picked up the change yet. ${e(retireWhen)}</p>${metadataLinks(d)}<div class="actions">${action(chrome, `${base}/sp/retire`, "Retire the old certificate", { danger: true })}</div>`;
  }
  return `<h2 id="sp-certs">Our certificates (service provider)</h2><div class="card">${relevance}<div class="scroll"><table class="stack" aria-labelledby="sp-certs"><thead><tr><th scope="col">Certificate</th><th scope="col">Expires</th><th scope="col">Fingerprint</th></tr></thead><tbody>${rows}</tbody></table></div>${step}</div>`;
}

function metadataLinks(d: CertificatesPageData): string {
  return `<p><a href="${e(d.sp.metadataUrl)}" download="sp-metadata.xml">Download our SP metadata (XML)</a> · <span class="muted">or give ${e(d.idpLabel)} its URL:</span> <code>${e(d.sp.metadataUrl)}</code></p>`;
}

export function certificatesPage(chrome: Chrome, d: CertificatesPageData): string {
  const c = d.connection;
  const base = `/portal/sso/c/${c.id}/certificates`;
  const flagged = [...d.idpCertificates, ...d.sp.keys].filter((k) => expiryState(k.notAfter, d.now, d.warnDays).flagged).length;
  const warning = flagged
    ? `<div class="notice bad" role="alert"><strong>${flagged} certificate${flagged === 1 ? "" : "s"} expire${flagged === 1 ? "s" : ""} within ${d.warnDays} days or already expired.</strong> Rotate before the date, or sign-ins will fail.</div>`
    : "";
  const notice = d.notice ? `<div class="notice ok" role="status">${e(d.notice)}</div>` : "";
  const errorSummary = Object.keys(d.errors).length
    ? `<div class="notice bad" role="alert"><strong>Nothing was changed.</strong> ${Object.values(d.errors).map(e).join(" ")}</div>`
    : "";
  return layout(
    `${c.name} — certificates`,
    `<p><a href="/portal/sso/c/${e(c.id)}">← ${e(c.name)}</a></p><h1>Certificates of ${e(c.name)}</h1>${notice}${errorSummary}${warning}${idpSection(chrome, d, base)}${spSection(chrome, d, base)}`,
    chrome,
  );
}
