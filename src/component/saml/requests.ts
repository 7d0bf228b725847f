// SP-initiated login, the transaction: remember the AuthnRequest ID (for InResponseTo) and an opaque RelayState.
import { v } from "convex/values";
import { internalMutation } from "../lib/functions";
import { newSamlId } from "../../saml/encoding";
import { chooseSsoBinding } from "../../saml/config";
import { randomToken } from "../lib/crypto";
import { configOf, endpointsFor, samlFail, spKeys } from "./lib";

export const begin = internalMutation({
  args: { connectionId: v.id("connections"), authRequestId: v.id("authRequests") },
  returns: v.object({
    requestId: v.string(),
    relayState: v.string(),
    binding: v.union(v.literal("redirect"), v.literal("post")),
    destination: v.string(),
    acsUrl: v.string(),
    spEntityId: v.string(),
    nameIdFormat: v.optional(v.string()),
    forceAuthn: v.boolean(),
    sendLoginHint: v.boolean(),
    sealedSigningKey: v.optional(v.string()),
    signingCertificate: v.optional(v.string()),
  }),
  handler: async (ctx, { connectionId, authRequestId }) => {
    const connection = await ctx.db.get(connectionId);
    const authRequest = await ctx.db.get(authRequestId);
    if (!connection || connection.kind !== "saml") throw samlFail("connection_unknown", "not a SAML connection");
    // Only /sso/authorize (active connections) and the portal test sign-in (pending ones) get here.
    if (connection.status === "disabled") throw samlFail("connection_disabled", "the connection is disabled");
    if (!authRequest || authRequest.connectionId !== connectionId || authRequest.usedAt !== undefined) {
      throw samlFail("request_used", "the auth request is missing, used or for another connection");
    }
    const cfg = configOf(connection);
    const { binding, url } = chooseSsoBinding(cfg);
    const requestId = newSamlId();
    const relayState = randomToken(24); // 32 base64url characters: opaque, ≤ 80 bytes
    await ctx.db.insert("samlRequests", {
      connectionId,
      requestId,
      authRequestId,
      relayState,
      expiresAt: authRequest.expiresAt,
    });
    const sign = cfg.sp.signAuthnRequests || cfg.idp.wantAuthnRequestsSigned;
    const signingKey = sign ? (await spKeys(ctx, connectionId, "signing")).find((k) => k.status === "active") : undefined;
    if (sign && !signingKey) throw samlFail("sp_key_unavailable", "signing is on but the connection has no SP signing key");
    const ep = endpointsFor(connectionId);
    return {
      requestId,
      relayState,
      binding,
      destination: url,
      acsUrl: ep.acsUrl,
      spEntityId: ep.entityId,
      nameIdFormat: cfg.sp.nameIdFormat,
      forceAuthn: cfg.sp.forceAuthn,
      sendLoginHint: cfg.sp.sendLoginHint,
      sealedSigningKey: signingKey?.sealedPrivateKey,
      signingCertificate: signingKey?.certificate,
    };
  },
});
