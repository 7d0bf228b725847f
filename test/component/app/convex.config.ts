// An app embedding the gateway, as the README's embedded-mode steps build it.
import { defineApp } from "convex/server";
import ssoGateway from "../../../src/component/convex.config";

const app = defineApp();
app.use(ssoGateway);
export default app;
