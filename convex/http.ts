// Routing only: each protocol registers its own routes (STYLE.md, Convex conventions).
import { httpRouter } from "convex/server";

const http = httpRouter();

export default http;
