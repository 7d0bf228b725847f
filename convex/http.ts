// Routing only: each protocol registers its own routes (STYLE.md, Convex conventions).
import { httpRouter } from "convex/server";
import { registerIssuerRoutes } from "./oauth/http";
import { registerOidcRoutes } from "./oidc/http";
import { registerSamlRoutes } from "./saml/http";

const http = httpRouter();

registerIssuerRoutes(http);
registerOidcRoutes(http);
registerSamlRoutes(http);

export default http;
