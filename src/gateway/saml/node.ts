"use node";
// The SAML response validator, behind one internal action (node-saml needs Node's crypto/zlib).
// Called by the ACS HTTP action with ctx.runAction; replay and InResponseTo single-use are then
// enforced by the caller's mutation from the returned assertion.id / inResponseTo / notOnOrAfter.

import { v } from "convex/values";
import { internalAction } from "../../component/_generated/server";
import { validateSamlResponse } from "../../saml/node/validate";
import { assertionValidator } from "../../component/saml/lib";

export const validateResponse = internalAction({
  args: {
    samlResponse: v.string(),
    now: v.number(),
    expected: v.object({
      acsUrl: v.string(),
      spEntityId: v.string(),
      idpEntityId: v.string(),
      idpCertificates: v.array(v.string()),
      requestIds: v.array(v.string()),
      allowIdpInitiated: v.boolean(),
      wantAssertionsSigned: v.boolean(),
      allowSha1: v.boolean(),
      clockSkewSec: v.number(),
      decryptionKeys: v.array(v.string()),
      maxBytes: v.optional(v.number()),
    }),
  },
  returns: v.union(
    v.object({
      ok: v.literal(true),
      assertion: assertionValidator,
      signerSha256: v.optional(v.string()),
    }),
    v.object({ ok: v.literal(false), code: v.string(), detail: v.string() }),
  ),
  handler: async (_ctx, args) => validateSamlResponse(args),
});
