// Mounts the gateway's HTTP surface in the app's router. The handlers (src/component/*/http.ts) run app-side as
// the app's HTTP actions; their calls into the gateway's functions are sent to the mounted component with the
// app's env attached, and the "use node" SAML actions (which a component cannot hold) to the app's own module.
import { getFunctionName, httpActionGeneric, type FunctionReference, type HttpRouter, type PublicHttpAction, type RouteSpec } from "convex/server";
import { enterEnv, type GatewayEnv } from "../component/lib/env";
import type { ComponentApi } from "../component/_generated/component";
import { registerEventRoutes } from "../component/events/http";
import { registerIssuerRoutes } from "../component/oauth/http";
import { registerOidcRoutes } from "../component/oidc/http";
import { registerPortalRoutes } from "../component/portal/http";
import { registerSamlRoutes } from "../component/saml/http";
import { registerScimRoutes } from "../component/scim/http";

/** The app's "use node" SAML actions (a component cannot hold Node actions): re-export them in one app module. */
export interface SamlNodeActions {
  validateResponse: FunctionReference<"action", "internal">;
  signMessage: FunctionReference<"action", "internal">;
  verifyPostLogoutMessage: FunctionReference<"action", "internal">;
}

const NODE_ACTIONS: Record<string, keyof SamlNodeActions> = {
  "saml/node:validateResponse": "validateResponse",
  "saml/signNode:signMessage": "signMessage",
  "saml/sloNode:verifyPostLogoutMessage": "verifyPostLogoutMessage",
};

export interface RouteTarget {
  component: ComponentApi;
  env: (ctx: unknown) => Promise<GatewayEnv>;
  samlNodeActions?: SamlNodeActions;
}

/** A gateway function reference (`internal.oauth.grants.exchangeCode`) → the mounted component's reference. */
export function componentReference(component: unknown, ref: unknown): FunctionReference<any, any> {
  const name = getFunctionName(ref as FunctionReference<any>);
  const [modulePath, exportName = "default"] = name.split(":");
  let target: any = component;
  for (const part of [...modulePath!.split("/"), exportName]) target = target[part];
  return target;
}

function routeCalls(ctx: any, target: RouteTarget, env: GatewayEnv) {
  const send = (run: (ref: any, args?: any) => Promise<any>) => (ref: any, args: Record<string, unknown> = {}) => {
    if (typeof ref === "string") return run(ref, args);
    const node = NODE_ACTIONS[getFunctionName(ref)];
    if (node) {
      const action = target.samlNodeActions?.[node];
      if (!action) throw new Error("SAML needs the app's Node actions: pass `samlNodeActions` to SsoGateway (see the README)");
      return run(action, args);
    }
    return run(componentReference(target.component, ref), { ...args, env });
  };
  return { ...ctx, runQuery: send(ctx.runQuery.bind(ctx)), runMutation: send(ctx.runMutation.bind(ctx)), runAction: send(ctx.runAction.bind(ctx)) };
}

function wrap(handler: PublicHttpAction, target: RouteTarget, prefix: string): PublicHttpAction {
  const inner = ((handler as any)._handler ?? handler) as (ctx: any, request: Request) => Promise<Response>;
  return httpActionGeneric(async (ctx, request) => {
    const env = await target.env(ctx);
    enterEnv(env);
    // Handlers parse their own paths: hand them the URL as if the routes were mounted at the root.
    let req = request;
    if (prefix) {
      const url = new URL(request.url);
      url.pathname = url.pathname.slice(prefix.length) || "/";
      req = new Request(url, request);
    }
    return inner(routeCalls(ctx, target, env), req);
  });
}

/** Registers every route of the gateway (issuer, /sso/*, /oauth/*, /scim/v2/*, /events/*, /portal/*) under `pathPrefix` ("" = root). */
export function mountGatewayRoutes(http: HttpRouter, target: RouteTarget, pathPrefix = "") {
  const prefix = pathPrefix.replace(/\/+$/, "");
  if (prefix && !prefix.startsWith("/")) throw new Error(`pathPrefix must start with "/": ${pathPrefix}`);
  const router = {
    route(spec: RouteSpec) {
      const handler = wrap(spec.handler, target, prefix);
      if ("pathPrefix" in spec && spec.pathPrefix !== undefined) http.route({ pathPrefix: prefix + spec.pathPrefix, method: spec.method, handler });
      else http.route({ path: prefix + (spec as { path: string }).path, method: spec.method, handler });
    },
  } as unknown as HttpRouter;
  registerIssuerRoutes(router);
  registerSamlRoutes(router);
  registerOidcRoutes(router);
  registerScimRoutes(router);
  registerEventRoutes(router);
  registerPortalRoutes(router);
}
