// Placeholder until the OIDC relying party lands: the starter /sso/authorize hands OIDC connections to.
import type { LoginStarter } from "../sso/authorize";
import { errorPage } from "../lib/pages";

export const startOidcLogin: LoginStarter = async () =>
  errorPage({ title: "OIDC sign-in is not available yet", message: "This gateway build has no OIDC support.", status: 501 });
