// Routing only: each protocol registers its own routes (STYLE.md, Convex conventions).
import { httpRouter } from "convex/server";
import { registerIssuerRoutes } from "./oauth/http";

const http = httpRouter();

registerIssuerRoutes(http);

export default http;
