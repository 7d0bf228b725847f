// The portal's certificates page of one SAML connection: GET /portal/sso/c/{id}/certificates and its forms
// (session and CSRF are checked by the portal router in ./http.ts before these run).
//   POST …/certificates/idp           upload the IdP's next signing certificate (pasted PEM or a file)
//   POST …/certificates/idp/promote   make a next certificate the only one (the IdP switched to it)
//   POST …/certificates/idp/remove    drop a next certificate
//   POST …/certificates/sp/next|switch|retire   our SP key rotation with overlap (saml/admin:rotateSpKeys)
// Each write is followed by a redirect to the page (post/redirect/get) with a notice; bad input re-renders the
// page with the field's error and changes nothing.
import type { ActionCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import { gatewayOptions } from "../lib/env";
import { certificatesPage } from "../../portal/certificatesPage";
import { messagePage } from "../../portal/pages";
import { readNextCertificate, type UploadField } from "../../portal/certificateUpload";
import type { PortalSession } from "./session";
import { chrome, errorOf, notFound, type Form } from "./http";
import { page, redirect } from "./respond";

const NOTICES: Record<string, string> = {
  idp_added: "The next certificate is trusted. Sign-ins signed with either certificate are accepted.",
  idp_promoted: "Done: only the new certificate is trusted now.",
  idp_removed: "The next certificate was removed.",
  sp_next: "The next SP certificate is created and published in our SP metadata.",
  sp_switched: "Switched: we use the new SP certificate. The old one still decrypts until you retire it.",
  sp_retired: "The old SP certificate is retired.",
};

const SP_STEPS = { next: "add_next", switch: "promote", retire: "retire" } as const;
const SP_AUDIT = { next: "portal.certificate.sp_next_created", switch: "portal.certificate.sp_switched", retire: "portal.certificate.sp_retired" } as const;
const SP_NOTICE = { next: "sp_next", switch: "sp_switched", retire: "sp_retired" } as const;

async function render(
  ctx: ActionCtx,
  s: PortalSession,
  connectionId: string,
  extra: { errors?: Record<string, string>; form?: { certificate?: string }; notice?: string } = {},
  status = 200,
): Promise<Response> {
  const view = await ctx.runQuery(internal.portal.certificates.view, { groupId: s.groupId, connectionId });
  if (!view) return notFound();
  if (!view.configured) {
    return page(messagePage("Not configured yet", "Save your identity provider's metadata on the connection page first; its certificates appear here then."), 409);
  }
  return page(
    certificatesPage(chrome(s, "sso"), {
      connection: view.connection,
      idpLabel: view.idpLabel,
      idpCertificates: view.idpCertificates,
      metadataUrl: view.metadataUrl,
      sp: view.sp,
      errors: extra.errors ?? {},
      form: extra.form ?? {},
      notice: extra.notice,
      now: Date.now(),
      warnDays: gatewayOptions().certificates.warningDays,
    }),
    status,
  );
}

export async function certificatesGet(ctx: ActionCtx, s: PortalSession, connectionId: string, url: URL): Promise<Response> {
  return render(ctx, s, connectionId, { notice: NOTICES[url.searchParams.get("done") ?? ""] });
}

const done = (connectionId: string, what: string) => redirect(`/portal/sso/c/${connectionId}/certificates?done=${what}`);

async function uploadNext(ctx: ActionCtx, s: PortalSession, connectionId: string, form: Form): Promise<Response> {
  const view = await ctx.runQuery(internal.portal.certificates.view, { groupId: s.groupId, connectionId });
  if (!view) return notFound();
  const file = await form.file("certificateFile");
  const pasted = form.get("certificate") ?? "";
  const field: UploadField = file !== null ? "certificateFile" : "certificate";
  // Echo back a paste only when it is not key material (a private key is never rendered into a page).
  const echo = /PRIVATE KEY/.test(pasted) ? "" : pasted.slice(0, 16 * 1024);
  if (file !== null && pasted.trim()) {
    return render(ctx, s, connectionId, { errors: { certificate: "Certificate: give either a pasted certificate or a file, not both." }, form: { certificate: echo } }, 400);
  }
  const read = await readNextCertificate(file ?? pasted, { field, now: Date.now(), trusted: view.trusted });
  if (!read.ok) return render(ctx, s, connectionId, { errors: { [read.field]: read.message }, form: { certificate: echo } }, 400);
  const failed = await change(ctx, s, connectionId, { op: "add", certificate: read.certificate });
  return failed ?? done(connectionId, "idp_added");
}

/** Runs an IdP trust-list change; a refusal re-renders the page with its message (nothing changed). */
async function change(
  ctx: ActionCtx,
  s: PortalSession,
  connectionId: string,
  c: { op: "add"; certificate: string } | { op: "promote" | "remove"; sha256: string },
): Promise<Response | null> {
  try {
    await ctx.runMutation(internal.portal.certificates.changeIdpCertificates, { sessionId: s.sessionId, groupId: s.groupId, connectionId, change: c });
    return null;
  } catch (e) {
    const data = errorOf(e);
    if (data?.kind === "PortalCertificateError" && data.code === "unknown_connection") return notFound();
    if (data?.kind === "PortalCertificateError" || data?.kind === "SamlConfigError") {
      return render(ctx, s, connectionId, { errors: { certificate: data.message } }, 409);
    }
    throw e;
  }
}

async function rotateSp(ctx: ActionCtx, s: PortalSession, connectionId: string, step: keyof typeof SP_STEPS): Promise<Response> {
  const view = await ctx.runQuery(internal.portal.certificates.view, { groupId: s.groupId, connectionId });
  if (!view) return notFound();
  try {
    await ctx.runAction(internal.saml.admin.rotateSpKeys, { connectionId: view.connection.id as never, step: SP_STEPS[step] });
  } catch (e) {
    const data = errorOf(e);
    if (data?.kind === "SamlConfigError") {
      return render(ctx, s, connectionId, { errors: { sp: `Our certificates: ${data.message}. Reload the page: the rotation may have moved on.` } }, 409);
    }
    throw e;
  }
  await ctx.runMutation(internal.portal.session.audit, { sessionId: s.sessionId, type: SP_AUDIT[step], data: { connectionId: view.connection.id } });
  return done(connectionId, SP_NOTICE[step]);
}

/** POST …/certificates/{op}: `op` is the rest of the path after /certificates/. */
export async function certificatesPost(ctx: ActionCtx, s: PortalSession, connectionId: string, op: string, form: Form): Promise<Response> {
  if (op === "idp") return uploadNext(ctx, s, connectionId, form);
  if (op === "idp/promote" || op === "idp/remove") {
    const sha256 = (form.get("sha256") ?? "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256)) return page(messagePage("Form not readable", "Reload the certificates page and try again."), 400);
    const kind = op === "idp/promote" ? "promote" : "remove";
    const failed = await change(ctx, s, connectionId, { op: kind, sha256 });
    return failed ?? done(connectionId, kind === "promote" ? "idp_promoted" : "idp_removed");
  }
  const m = /^sp\/(next|switch|retire)$/.exec(op);
  if (m) return rotateSp(ctx, s, connectionId, m[1] as keyof typeof SP_STEPS);
  return notFound();
}
