// Typed references to the "use node" SAML actions, by their gateway names (saml/node:validateResponse, …). They
// run in the app (a component cannot hold Node actions): SsoGateway's routes send these names to the app module
// given as `samlNodeActions`.
import { anyApi, type ApiFromModules, type FilterApi, type FunctionReference } from "convex/server";
import type * as node from "./node";
import type * as signNode from "./signNode";
import type * as sloNode from "./sloNode";

export const samlNodeApi: FilterApi<
  ApiFromModules<{ "saml/node": typeof node; "saml/signNode": typeof signNode; "saml/sloNode": typeof sloNode }>,
  FunctionReference<any, "internal">
> = anyApi as any;
