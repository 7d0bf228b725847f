// Routing only: the gateway component's whole HTTP surface, mounted at the root of this deployment's site URL.
import { httpRouter } from "convex/server";
import { gateway } from "./gateway";

const http = httpRouter();

gateway.registerRoutes(http);

export default http;
