import { httpRouter } from "convex/server";
import { SsoGateway } from "../../../src/gateway";
import { components } from "./_generated/api";

const http = httpRouter();
new SsoGateway(components.ssoGateway).registerRoutes(http, { pathPrefix: "/auth" });
export default http;
