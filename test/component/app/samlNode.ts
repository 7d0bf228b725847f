"use node";
export { validateResponse } from "../../../src/gateway/saml/node";
export { signMessage } from "../../../src/gateway/saml/signNode";
export { verifyPostLogoutMessage } from "../../../src/gateway/saml/sloNode";
