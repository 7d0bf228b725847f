/// <reference types="vite/client" />
// Testing an app that mounts the gateway, with convex-test:
//   const t = convexTest(schema, modules);
//   register(t);                       // the component, as `components.ssoGateway`
//   const gw = asComponent(t);          // run the gateway's own functions (with the env of the app's env query,
//                                       // "gateway:ssoEnv" unless named) and read its tables in tests
import { componentsGeneric, makeFunctionReference, type FunctionReference } from "convex/server";
import type { TestConvex } from "convex-test";
import schema from "./component/schema";
import type { GatewayEnv } from "./component/lib/env";
import { componentReference } from "./gateway/routes";

/** The component's modules, as vite / vitest collect them (call it only under vite). */
export function componentModules(): Record<string, () => Promise<unknown>> {
  return import.meta.glob(["./component/**/*.ts", "./component/**/*.js", "!./component/**/*.d.ts"]);
}

type Registrable = { registerComponent: (name: string, schema: any, modules: Record<string, () => Promise<any>>) => void };

/** Registers the gateway component (its schema and modules) under `name`, as `app.use(ssoGateway)` would. */
export function register(t: Registrable, name = "ssoGateway", modules?: Record<string, () => Promise<unknown>>) {
  t.registerComponent(name, schema, modules ?? componentModules());
}

export type GatewayTest = TestConvex<typeof schema> & {
  /** The env the app passes down (its env query's answer), e.g. for a raw call into the component. */
  appEnv(): Promise<GatewayEnv>;
};

/**
 * The env the app passes down, as its env query (`export const ssoEnv = gateway.envQuery()`) returns it: with the
 * query's own function handle, so that a call carrying it records it for the component's crons and jobs.
 */
export function appEnv(t: { query: (ref: any, args: any) => Promise<unknown> }, envQuery = "gateway:ssoEnv"): Promise<GatewayEnv> {
  return t.query(makeFunctionReference<"query">(envQuery), {}) as Promise<GatewayEnv>;
}

/**
 * The component seen from inside, for tests and the local gateway: `run` reads and writes the component's tables,
 * `query`/`mutation`/`action` take the component's own references (`internal.admin.groups.create`) and call
 * the mounted component with the app's env attached (what SsoGateway passes in a deployment, read per call from
 * the app's env query `envQuery`), and `fetch` goes through the app's router.
 */
export function asComponent(t: any, name = "ssoGateway", envQuery = "gateway:ssoEnv"): GatewayTest {
  const component = (componentsGeneric() as any)[name];
  const call = (kind: "query" | "mutation" | "action") => async (ref: FunctionReference<any, any>, args: Record<string, unknown> = {}) =>
    t[kind](componentReference(component, ref), { ...args, env: await appEnv(t, envQuery) });
  return {
    ...t,
    run: (handler: (ctx: any) => Promise<unknown>) => t.runInComponent(name, handler),
    query: call("query"),
    mutation: call("mutation"),
    action: call("action"),
    appEnv: () => appEnv(t, envQuery),
  } as GatewayTest;
}
