// A sign-in failure code (from a trace) → a sentence an IT admin understands and what to change.
// Codes are the closed sets of src/saml/errors.ts, src/saml/spErrors.ts and src/oidc/errors.ts.

const TEXT: Record<string, [sentence: string, fix: string]> = {
  signature_invalid: ["The IdP's signature did not verify.", "Upload the IdP's current signing certificate or re-read its metadata."],
  untrusted_certificate: ["The response was signed with a certificate we do not trust.", "The IdP rotated its certificate: re-read its metadata or upload the new certificate."],
  assertion_unsigned: ["The assertion was not signed.", "In the IdP, sign the assertion (not only the response)."],
  audience_mismatch: ["The response was meant for another application.", "Set the Audience / SP entity ID in the IdP to the value shown on this page."],
  destination_mismatch: ["The response was addressed to another URL.", "Set the ACS / Reply URL in the IdP to the value shown on this page."],
  recipient_mismatch: ["The response names another recipient.", "Set the Recipient URL in the IdP to the ACS URL shown on this page."],
  issuer_mismatch: ["The response came from an unexpected IdP entity ID.", "Re-read the IdP's metadata: its entity ID changed."],
  expired: ["The response had already expired when it arrived.", "Check the IdP server's clock."],
  not_yet_valid: ["The response is not valid yet.", "Check the IdP server's clock."],
  signature_missing: ["Nothing in the response was signed.", "Turn on response or assertion signing in the IdP."],
  status_not_success: ["The IdP answered with an error instead of a sign-in.", "Check that the person is assigned to the application in the IdP."],
  weak_algorithm: ["The IdP signed with SHA-1.", "Choose SHA-256 as the signature algorithm in the IdP."],
  dtd_forbidden: ["The response contained a DTD, which we refuse.", "The IdP must not send DOCTYPE declarations."],
  subject_missing: ["The IdP did not send the attribute we use to identify the person.", "Send the NameID (or the subject attribute listed on this page)."],
  in_response_to_mismatch: ["The response answers a request we did not send.", "Start the test again from this page; do not start it from the IdP's dashboard."],
  unsolicited_response: ["The IdP started the sign-in itself (IdP-initiated).", "Start the sign-in from this page or from the application."],
  request_expired: ["The sign-in took too long.", "Start the test again and finish it within a few minutes."],
  request_used: ["This sign-in was already completed.", "Start a new test."],
  replayed_assertion: ["The same assertion was sent twice.", "Start a new test; if it repeats, the IdP or a proxy is replaying responses."],
  connection_disabled: ["The connection is turned off.", "Activate the connection or test it from this page."],
  decryption_failed: ["The encrypted assertion could not be decrypted.", "Use the encryption certificate from our current SP metadata."],
  discovery_failed: ["The issuer's OpenID configuration could not be read.", "Check the issuer URL: /.well-known/openid-configuration must be reachable over https."],
  fetch_refused: ["The URL was refused: it must be https on a public address and answer quickly with a small document.", "Use the IdP's public https URL."],
  idp_error: ["The identity provider refused the sign-in.", "Check that the person is assigned to the application in the IdP."],
  token_endpoint_error: ["The identity provider refused our client credentials.", "Check the client ID and client secret."],
  id_token_audience_mismatch: ["The ID token was issued for another client.", "Check the client ID."],
  id_token_issuer_mismatch: ["The ID token names another issuer.", "Check the issuer URL."],
  id_token_signature_invalid: ["The ID token signature did not verify.", "Check the issuer URL; the provider may have rotated keys."],
  nonce_mismatch: ["The ID token does not belong to this sign-in.", "Start a new test."],
  state_invalid: ["The sign-in state is unknown or expired.", "Start a new test."],
  state_used: ["This sign-in was already completed.", "Start a new test."],
  tenant_mismatch: ["The person signed in with another Entra ID tenant.", "Sign in with an account of your tenant, or correct the tenant ID."],
  claims_invalid: ["The ID token has no usable subject.", "Check the provider's claim configuration."],
  signin_failed: ["The person could not be signed in to the group (for example their membership is deactivated).", "Check the person's membership, or look at the detail below."],
};

export function failureText(code: string): { sentence: string; fix: string } {
  const t = TEXT[code];
  return t ? { sentence: t[0], fix: t[1] } : { sentence: "The sign-in failed.", fix: "Read the detail below, then start a new test." };
}
