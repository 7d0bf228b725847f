// The embedded fixture app (test/component/app/) with the gateway component registered, as a consuming app's
// tests set it up: `app` runs the app's functions and router, `gw` the component's own functions and tables.
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import appSchema from "./app/schema";
import { asComponent, register, type GatewayTest } from "../../src/test";

const appModules = import.meta.glob("./app/**/*.ts");

export type EmbeddedApp = ReturnType<typeof convexTest<typeof appSchema.tables>>;

export function embeddedApp(): { app: EmbeddedApp; gw: GatewayTest } {
  const app = convexTest(appSchema, appModules) as never as EmbeddedApp;
  register(app);
  return { app, gw: asComponent(app) };
}
