// The component definition: `app.use(ssoGateway)` in an app's convex.config.ts mounts the gateway's tables and
// functions under `components.ssoGateway`, isolated from the app's own tables.
import { defineComponent } from "convex/server";

const component = defineComponent("ssoGateway");

export default component;
