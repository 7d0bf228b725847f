// The standalone deployment's gateway: the component mounted in convex.config.ts, configured from the env
// (GATEWAY_OPTIONS, GATEWAY_ENCRYPTION_KEY, GATEWAY_SIGNING_KEYS, CONVEX_SITE_URL / GATEWAY_ISSUER).
import { componentsGeneric } from "convex/server";
import { SsoGateway, type ComponentApi } from "../src/gateway";
import { internal } from "./_generated/api";

// `npx convex dev` adds `components` to _generated/api; the offline codegen (`npm run codegen`) cannot (it needs a
// backend), so the mounted component's reference is declared here with the component's generated type.
export const components = componentsGeneric() as unknown as { ssoGateway: ComponentApi<"ssoGateway"> };

export const gateway = new SsoGateway(components.ssoGateway, { envQuery: internal.gateway.ssoEnv, samlNodeActions: internal.samlNode });

/** The env (keys included) for the component's crons and scheduled jobs: internal, the component calls it by handle. */
export const ssoEnv = gateway.envQuery();
