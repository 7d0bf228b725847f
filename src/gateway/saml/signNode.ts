"use node";
// Enveloped XML signature on an outbound message (AuthnRequest, LogoutRequest, LogoutResponse) for the HTTP-POST
// binding (SAML Bindings §3.5.4):
// exclusive c14n, RSA-SHA256, SHA-256 digest, the Signature placed right after <saml:Issuer> as the schema
// orders it (SAML Core §3.2.1). The sealed SP key is opened here, so the private key never crosses a boundary.
import { v } from "convex/values";
import { SignedXml } from "xml-crypto";
import { internalAction } from "../../component/_generated/server";
import { openSecret } from "../../component/lib/crypto";

export const signMessage = internalAction({
  args: { xml: v.string(), sealedSigningKey: v.string(), certificate: v.string() },
  returns: v.string(),
  handler: async (_ctx, { xml, sealedSigningKey, certificate }) => {
    const privateKey = await openSecret(sealedSigningKey);
    const sig = new SignedXml({
      privateKey,
      publicCert: `-----BEGIN CERTIFICATE-----\n${certificate}\n-----END CERTIFICATE-----\n`,
      canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
      signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    });
    sig.addReference({
      xpath: "/*",
      transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
      digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.computeSignature(xml, {
      prefix: "ds",
      location: { reference: "/*/*[local-name(.)='Issuer']", action: "after" },
    });
    return sig.getSignedXml();
  },
});
