// Placeholder until the SAML service provider lands: the starter /sso/authorize hands SAML connections to.
import type { LoginStarter } from "../sso/authorize";
import { errorPage } from "../lib/pages";

export const startSamlLogin: LoginStarter = async () =>
  errorPage({ title: "SAML sign-in is not available yet", message: "This gateway build has no SAML support.", status: 501 });
