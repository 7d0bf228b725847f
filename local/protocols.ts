// The protocol plug-ins the local gateway loads (each reads its own section of the config file), in the order
// their buttons appear on the demo page.
import { registerLocalPlugin } from "./plugins";
import { oidcLocalPlugin } from "./oidcIdp";
import { samlLocalPlugin } from "./samlPlugin";
import { scimLocalPlugin } from "./scimPlugin";

registerLocalPlugin(samlLocalPlugin);
registerLocalPlugin(oidcLocalPlugin);
registerLocalPlugin(scimLocalPlugin);
