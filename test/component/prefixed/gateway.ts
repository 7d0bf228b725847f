import { SsoGateway } from "../../../src/gateway";
import { components, internal } from "./_generated/api";

/** The prefix is given to the constructor, so functions outside http.ts (setupLink.ts) build the same URLs. */
export const gateway = new SsoGateway(components.ssoGateway, { envQuery: internal.gateway.ssoEnv, pathPrefix: "/auth" });
export const ssoEnv = gateway.envQuery();
