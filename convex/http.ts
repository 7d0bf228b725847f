// Routing only: each protocol registers its own routes (STYLE.md, Convex conventions).
import { httpRouter } from "convex/server";
import { registerEventRoutes } from "./events/http";
import { registerIssuerRoutes } from "./oauth/http";
import { registerOidcRoutes } from "./oidc/http";
import { registerPortalRoutes } from "./portal/http";
import { registerSamlRoutes } from "./saml/http";
import { registerScimRoutes } from "./scim/http";

const http = httpRouter();

registerIssuerRoutes(http);
registerSamlRoutes(http);
registerOidcRoutes(http);
registerScimRoutes(http);
registerEventRoutes(http);
registerPortalRoutes(http);

export default http;
