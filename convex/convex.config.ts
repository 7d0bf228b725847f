// The standalone deployment: a thin app that mounts the gateway component (embedded mode does the same in any app).
import { defineApp } from "convex/server";
import ssoGateway from "../src/component/convex.config";

const app = defineApp();
app.use(ssoGateway);

export default app;
