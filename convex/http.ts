// Routing only: each protocol registers its own routes (STYLE.md, Convex conventions).
import { httpRouter } from "convex/server";
import { registerScimRoutes } from "./scim/http";

const http = httpRouter();
registerScimRoutes(http);

export default http;
