"use node";
// The gateway's SAML actions that need Node (XML signatures). A component cannot hold "use node" modules, so the
// app re-exports them from one module of its own and names it in SsoGateway's `samlNodeActions` option.
export { validateResponse, signMessage, verifyPostLogoutMessage } from "convex-sso-gateway/node";
