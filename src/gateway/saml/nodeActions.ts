"use node";
// The "use node" SAML actions an app re-exports from one module of its own (a component cannot hold them):
//   "use node";
//   export { validateResponse, signMessage, verifyPostLogoutMessage } from "convex-sso-gateway/node";
export { validateResponse } from "./node";
export { signMessage } from "./signNode";
export { verifyPostLogoutMessage } from "./sloNode";
