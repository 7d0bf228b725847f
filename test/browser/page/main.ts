// The browser-client test page: the client from src/browser (bundled with esbuild), exposed as window.sso,
// with its state rendered into the page.
import { createSsoClient, type SsoState } from "../../../src/browser";

declare global {
  interface Window {
    SSO_CONFIG: { issuer: string; clientId: string; redirectUri: string };
    sso: ReturnType<typeof createSsoClient>;
  }
}

const sso = createSsoClient(window.SSO_CONFIG);
window.sso = sso;
const $ = (id: string) => document.getElementById(id)!;

function render(state: SsoState) {
  $("status").textContent = state.status;
  $("role").textContent = state.status === "signedIn" ? state.claims.role : "";
  $("email").textContent = state.status === "signedIn" ? (state.claims.email ?? "") : "";
  $("error").textContent = state.status === "signedOut" && state.error ? state.error.code : "";
}
sso.onChange(render);
render(sso.getState());
if (sso.isCallback()) void sso.handleCallback().catch(() => undefined);
