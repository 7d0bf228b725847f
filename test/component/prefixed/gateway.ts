import { SsoGateway } from "../../../src/gateway";
import { components, internal } from "./_generated/api";

export const gateway = new SsoGateway(components.ssoGateway, { envQuery: internal.gateway.ssoEnv, pathPrefix: "/auth" });
export const ssoEnv = gateway.envQuery();
