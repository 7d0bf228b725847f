import { httpRouter } from "convex/server";
import { gateway } from "./gateway";

const http = httpRouter();
gateway.registerRoutes(http, { pathPrefix: "/auth" });
export default http;
