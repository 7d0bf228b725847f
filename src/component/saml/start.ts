// SP-initiated login: /sso/authorize hands a SAML connection here. begin (store request ID + RelayState) →
// build the AuthnRequest → send the browser to the IdP by HTTP-Redirect (signed query when signing is on)
// or HTTP-POST (auto-submit form; enveloped XML signature when signing is on).
import { ConvexError } from "convex/values";
import type { LoginStarter } from "../sso/authorize";
import { internal } from "../_generated/api";
import { samlNodeApi } from "../../gateway/saml/nodeApi";
import { autoPostPage, errorPage } from "../lib/pages";
import { openSecret } from "../lib/crypto";
import { buildAuthnRequest } from "../../saml/messages";
import { buildRedirectUrl } from "../../saml/redirectBinding";
import { importRsaSigningKey } from "../../saml/x509";
import { bytesToB64, utf8 } from "../../saml/encoding";
import { closedTraceCode, publicMessage } from "../../saml/spErrors";

const EMAIL = /^[^\s@<>]{1,64}@[^\s@<>]{1,255}$/;

export const startSamlLogin: LoginStarter = async (ctx, { connection, authRequestId, loginHint }) => {
  try {
    const r = await ctx.runMutation(internal.saml.requests.begin, { connectionId: connection._id, authRequestId });
    const xml = buildAuthnRequest({
      id: r.requestId,
      now: Date.now(),
      destination: r.destination,
      acsUrl: r.acsUrl,
      spEntityId: r.spEntityId,
      nameIdFormat: r.nameIdFormat,
      forceAuthn: r.forceAuthn,
      loginHint: r.sendLoginHint && loginHint && EMAIL.test(loginHint) ? loginHint : undefined,
    });
    if (r.binding === "redirect") {
      let signingKey: CryptoKey | undefined;
      if (r.sealedSigningKey) {
        try {
          signingKey = await importRsaSigningKey(await openSecret(r.sealedSigningKey));
        } catch {
          throw new ConvexError({ kind: "SamlError", code: "sp_key_unavailable", message: "cannot open the SP signing key" });
        }
      }
      const location = await buildRedirectUrl({
        destination: r.destination,
        param: "SAMLRequest",
        xml,
        relayState: r.relayState,
        signingKey,
      });
      return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
    }
    // HTTP-POST: when signing is on, an enveloped XML signature (xml-crypto, in the signNode action).
    let posted = xml;
    if (r.sealedSigningKey && r.signingCertificate) {
      try {
        posted = await ctx.runAction(samlNodeApi.saml.signNode.signMessage, {
          xml,
          sealedSigningKey: r.sealedSigningKey,
          certificate: r.signingCertificate,
        });
      } catch {
        throw new ConvexError({ kind: "SamlError", code: "sp_key_unavailable", message: "cannot sign with the SP signing key" });
      }
    }
    return autoPostPage(r.destination, { SAMLRequest: bytesToB64(utf8(posted)), RelayState: r.relayState }, "Signing in…");
  } catch (e) {
    const code = closedTraceCode(e instanceof ConvexError && typeof e.data?.code === "string" ? (e.data.code as string) : "internal_error");
    const detail = e instanceof ConvexError ? String(e.data?.message ?? "") : e instanceof Error ? e.message : "unknown";
    const ref = await ctx.runMutation(internal.traces.record, {
      protocol: "saml",
      connectionId: connection._id,
      groupId: connection.groupId,
      code,
      detail: `start: ${detail}`,
    });
    const pm = publicMessage(code);
    return errorPage({ title: pm.title, message: pm.message, ref, status: code === "internal_error" ? 500 : 400 });
  }
};
