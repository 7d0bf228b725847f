// Embedded mode: the gateway is a Convex component of this app; its tables live inside it.
import { defineApp } from "convex/server";
import ssoGateway from "convex-sso-gateway/convex.config";

const app = defineApp();
app.use(ssoGateway);

export default app;
