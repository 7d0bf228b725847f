// The fixture app's references (what `convex codegen` would write; untyped here, the tests name functions).
import { anyApi, componentsGeneric } from "convex/server";
import type { ComponentApi } from "../../../../src/gateway";

export const api = anyApi;
export const internal = anyApi;
export const components = componentsGeneric() as unknown as { ssoGateway: ComponentApi<"ssoGateway"> };
