// GET /sso/saml/{connection}/metadata: the SP metadata an IdP admin uploads.
import { v } from "convex/values";
import { internalQuery } from "../lib/functions";
import { buildSpMetadata } from "../../saml/spMetadata";
import { NAMEID_FORMATS } from "../../saml/config";
import { configOf, endpointsFor, samlConnectionById, spKeys } from "./lib";

export const spMetadataXml = internalQuery({
  args: { connectionId: v.string() },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { connectionId }) => {
    const connection = await samlConnectionById(ctx, connectionId);
    if (!connection) return null;
    const cfg = configOf(connection);
    const ep = endpointsFor(connection._id);
    // Published: the active key and, during a rotation, the next one (an additional KeyDescriptor the IdP admin can
    // import ahead of the switch). A "previous" key still decrypts during the overlap but is no longer offered.
    const published = (k: { status: string }) => k.status === "active" || k.status === "next";
    const signing = (await spKeys(ctx, connection._id, "signing")).filter(published);
    const encryption = (await spKeys(ctx, connection._id, "encryption")).filter(published);
    const signs = cfg.sp.signAuthnRequests || cfg.idp.wantAuthnRequestsSigned || cfg.slo.enabled;
    return buildSpMetadata({
      entityId: ep.entityId,
      acsUrl: ep.acsUrl,
      sloUrl: cfg.slo.enabled ? ep.sloUrl : undefined,
      nameIdFormats: cfg.sp.nameIdFormat
        ? [cfg.sp.nameIdFormat]
        : [NAMEID_FORMATS.emailAddress, NAMEID_FORMATS.persistent, NAMEID_FORMATS.unspecified],
      signingCertificates: signs ? signing.map((k) => k.certificate) : [],
      encryptionCertificates: cfg.sp.encryptAssertions ? encryption.map((k) => k.certificate) : [],
      authnRequestsSigned: cfg.sp.signAuthnRequests || cfg.idp.wantAuthnRequestsSigned,
      wantAssertionsSigned: !cfg.security.dangerouslyAllowResponseOnlySignature,
    });
  },
});
