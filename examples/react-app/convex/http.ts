// Routing only: the gateway's HTTP surface (issuer discovery, /sso/*, /oauth/*, /scim/v2/*) on this app's site URL.
import { httpRouter } from "convex/server";
import { gateway } from "./gateway";

const http = httpRouter();

gateway.registerRoutes(http);

export default http;
