// A second fixture app: the gateway's routes mounted under a path prefix.
import { anyApi, componentsGeneric } from "convex/server";
import type { ComponentApi } from "../../../../src/gateway";

export const api = anyApi;
export const internal = anyApi;
export const components = componentsGeneric() as unknown as { ssoGateway: ComponentApi<"ssoGateway"> };
