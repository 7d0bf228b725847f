// SLO over HTTP. Inbound messages must be signed — HTTP-Redirect query signature (SAML Bindings §3.4.4.1) or
// HTTP-POST enveloped XML signature (§3.5.4, checked in the sloNode action); unsigned or wrongly signed ones are
// refused with a trace.
import { ConvexError } from "convex/values";
import type { ActionCtx } from "../lib/functions";
import type { Id } from "../_generated/dataModel";
import { internal } from "../_generated/api";
import { samlNodeApi } from "../../gateway/saml/nodeApi";
import { autoPostPage, errorPage, htmlPage } from "../lib/pages";
import { openSecret, sha256b64url } from "../lib/crypto";
import { readBodyCapped } from "../lib/http";
import { buildLogoutRequest, buildLogoutResponse, parseLogoutMessage, MessageError, STATUS, type ParsedLogoutRequest, type ParsedLogoutResponse } from "../../saml/messages";
import { buildRedirectUrl, verifyRedirect, RedirectBindingError } from "../../saml/redirectBinding";
import { importRsaSigningKey } from "../../saml/x509";
import { bytesToB64, newSamlId, utf8 } from "../../saml/encoding";
import { closedTraceCode, publicMessage } from "../../saml/spErrors";

class SloFailure extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
  ) {
    super(code);
  }
}

async function fail(ctx: ActionCtx, rawCode: string, detail: string, connectionId?: Id<"connections">, groupId?: Id<"groups">) {
  const code = closedTraceCode(rawCode);
  if (code !== rawCode) detail = `(${rawCode.slice(0, 40)}) ${detail}`;
  const ref = await ctx.runMutation(internal.traces.record, { protocol: "saml", connectionId, groupId, code, detail: `slo: ${detail}` });
  const pm = code.startsWith("slo_") ? { title: "Sign-out failed", message: "The sign-out message could not be accepted." } : publicMessage(code);
  return errorPage({ title: pm.title, message: pm.message, ref, status: 400 });
}

/** Send a logout message to the IdP, signed: a query signature (Redirect) or an enveloped one (POST). */
async function sendToIdp(
  ctx: ActionCtx,
  o: { binding: "redirect" | "post"; url: string; param: "SAMLRequest" | "SAMLResponse"; xml: string; relayState?: string; sealedSigningKey: string; certificate: string },
): Promise<Response> {
  if (o.binding === "redirect") {
    const location = await buildRedirectUrl({
      destination: o.url,
      param: o.param,
      xml: o.xml,
      relayState: o.relayState,
      signingKey: await importRsaSigningKey(await openSecret(o.sealedSigningKey)),
    });
    return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
  }
  const signed = await ctx.runAction(samlNodeApi.saml.signNode.signMessage, { xml: o.xml, sealedSigningKey: o.sealedSigningKey, certificate: o.certificate });
  const fields: Record<string, string> = { [o.param]: bytesToB64(utf8(signed)) };
  if (o.relayState !== undefined) fields.RelayState = o.relayState;
  return autoPostPage(o.url, fields, "Signing out…");
}

const signedOutPage = () =>
  htmlPage({ title: "Signed out", body: `<h1>Signed out</h1><p>You are signed out. You can close this window.</p>` });

/** GET|POST /sso/saml/{connection}/slo */
export async function sloEndpoint(ctx: ActionCtx, request: Request, connection: string): Promise<Response> {
  const cfg = await ctx.runQuery(internal.saml.slo.loadForSlo, { connectionId: connection });
  if (!cfg) return fail(ctx, "connection_unknown", "no such SAML connection");
  const { connectionId, groupId } = cfg;
  try {
    if (!cfg.enabled) throw new SloFailure("slo_disabled", "SLO is off for this connection");
    let msg: (ParsedLogoutRequest | ParsedLogoutResponse) & { relayState: string | null };
    if (request.method === "GET") {
      // HTTP-Redirect: detached query signature, verified in this runtime (WebCrypto).
      try {
        const d = await verifyRedirect(new URL(request.url).search, cfg.idpCertificates, { allowSha1: cfg.allowSha1 });
        msg = { ...parseLogoutMessage(d.xml), relayState: d.relayState };
      } catch (e) {
        if (e instanceof RedirectBindingError) {
          throw new SloFailure(e.code === "redirect_unsigned" ? "slo_unsigned" : e.code === "redirect_malformed" ? "slo_malformed" : "slo_bad_signature", e.message);
        }
        if (e instanceof MessageError) throw new SloFailure("slo_malformed", e.message);
        throw e;
      }
    } else {
      // HTTP-POST: enveloped XML signature, verified by the node action; we parse only the signed XML it returns.
      const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const body = await readBodyCapped(request, 128 * 1024);
      if (body === null || type !== "application/x-www-form-urlencoded") throw new SloFailure("slo_malformed", "not a urlencoded form under 128 KiB");
      const form = new URLSearchParams(body);
      const reqs = form.getAll("SAMLRequest");
      const resps = form.getAll("SAMLResponse");
      if (reqs.length + resps.length !== 1 || form.getAll("RelayState").length > 1) {
        throw new SloFailure("slo_malformed", "exactly one SAMLRequest or SAMLResponse is required");
      }
      const v = await ctx.runAction(samlNodeApi.saml.sloNode.verifyPostLogoutMessage, {
        message: (reqs[0] ?? resps[0])!,
        certificates: cfg.idpCertificates,
        allowSha1: cfg.allowSha1,
      });
      if (!v.ok) throw new SloFailure(v.code, v.detail);
      try {
        msg = { ...parseLogoutMessage(v.xml), relayState: form.get("RelayState") };
      } catch (e) {
        if (e instanceof MessageError) throw new SloFailure("slo_malformed", e.message);
        throw e;
      }
      if ((reqs.length === 1) !== (msg.kind === "LogoutRequest")) throw new SloFailure("slo_malformed", "parameter does not match the message kind");
    }
    if (msg.issuer !== cfg.idpEntityId) throw new SloFailure("slo_issuer_mismatch", "Issuer is not the connection's IdP");
    if (msg.destination !== null && msg.destination !== cfg.sloUrl) {
      throw new SloFailure("slo_destination_mismatch", "Destination is not this SLO endpoint");
    }

    if (msg.kind === "LogoutResponse") {
      if (!msg.inResponseTo) throw new SloFailure("slo_malformed", "LogoutResponse without InResponseTo");
      const done = await ctx.runMutation(internal.saml.slo.finishLogout, { connectionId, inResponseTo: msg.inResponseTo });
      if (!done) throw new SloFailure("in_response_to_mismatch", "LogoutResponse answers no pending request");
      if (done.returnTo) return new Response(null, { status: 302, headers: { location: done.returnTo, "cache-control": "no-store" } });
      return signedOutPage();
    }

    const now = Date.now();
    const skew = cfg.clockSkewSec * 1000;
    if (msg.notOnOrAfter !== null && msg.notOnOrAfter + skew <= now) throw new SloFailure("slo_malformed", `"NotOnOrAfter" is in the past`);
    if (msg.issueInstant > now + skew || msg.issueInstant < now - 10 * 60_000 - skew) {
      throw new SloFailure("slo_malformed", `"IssueInstant" is not within the last 10 minutes`);
    }
    await ctx.runMutation(internal.saml.slo.revokeByNameId, { connectionId, nameId: msg.nameId, sessionIndexes: msg.sessionIndexes });
    if (!cfg.idpSlo || !cfg.sealedSigningKey || !cfg.signingCertificate) return signedOutPage();
    return sendToIdp(ctx, {
      binding: cfg.idpSlo.binding,
      url: cfg.idpSlo.url,
      param: "SAMLResponse",
      xml: buildLogoutResponse({
        id: newSamlId(),
        now,
        destination: cfg.idpSlo.url,
        issuer: cfg.spEntityId,
        inResponseTo: msg.id,
        status: STATUS.success,
      }),
      relayState: msg.relayState ?? undefined,
      sealedSigningKey: cfg.sealedSigningKey,
      certificate: cfg.signingCertificate,
    });
  } catch (e) {
    if (e instanceof SloFailure) return fail(ctx, e.code, e.detail, connectionId, groupId);
    return fail(ctx, "internal_error", e instanceof Error ? e.message : "unknown", connectionId, groupId);
  }
}

/** POST /sso/saml/{connection}/logout — form: refresh_token, optional return_to (same origin as a redirect URI). */
export async function logoutStart(ctx: ActionCtx, request: Request, connection: string): Promise<Response> {
  const body = await readBodyCapped(request, 8 * 1024);
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const form = new URLSearchParams(body ?? "");
  const token = form.get("refresh_token");
  if (body === null || type !== "application/x-www-form-urlencoded" || !token) {
    return fail(ctx, "slo_malformed", "logout needs a urlencoded refresh_token");
  }
  let r;
  try {
    r = await ctx.runMutation(internal.saml.slo.startLogout, {
      connectionId: connection,
      refreshTokenHash: await sha256b64url(token),
      returnTo: form.get("return_to") ?? undefined,
    });
  } catch (e) {
    const d = e instanceof ConvexError ? (e.data as { code?: string; message?: string }) : null;
    return fail(ctx, d?.code ?? "internal_error", d?.message ?? "logout failed");
  }
  if (r.kind === "local") {
    if (r.returnTo) return new Response(null, { status: 302, headers: { location: r.returnTo, "cache-control": "no-store" } });
    return signedOutPage();
  }
  return sendToIdp(ctx, {
    binding: r.binding,
    url: r.destination,
    param: "SAMLRequest",
    xml: buildLogoutRequest({
      id: r.requestId,
      now: Date.now(),
      destination: r.destination,
      issuer: r.issuer,
      nameId: r.nameId,
      nameIdFormat: r.nameIdFormat,
      sessionIndex: r.sessionIndex,
    }),
    sealedSigningKey: r.sealedSigningKey,
    certificate: r.signingCertificate,
  });
}
