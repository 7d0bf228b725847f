// The protocol plug-ins the local gateway loads (each reads its own section of the config file).
import { registerLocalPlugin } from "./plugins";
import { oidcLocalPlugin } from "./oidcIdp";
import { samlLocalPlugin } from "./samlPlugin";

registerLocalPlugin(oidcLocalPlugin);
registerLocalPlugin(samlLocalPlugin);
