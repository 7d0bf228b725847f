"use node";
// The SAML actions that need Node (node-saml, xml-crypto). A Convex component cannot hold "use node" modules,
// so every app that mounts the gateway re-exports them from one module of its own and names it in SsoGateway's
// `samlNodeActions` option.
export { validateResponse } from "../src/gateway/saml/node";
export { signMessage } from "../src/gateway/saml/signNode";
export { verifyPostLogoutMessage } from "../src/gateway/saml/sloNode";
