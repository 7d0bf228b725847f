// The gateway component mounted in convex.config.ts, with this app's roles and what each one may do. The IdP's
// groups map to these role names (role rules, per connection); grants are resolved here, so tokens stay small.
import { componentsGeneric } from "convex/server";
import { SsoGateway, type ComponentApi } from "convex-sso-gateway";
import { internal } from "./_generated/api";

// `npx convex dev` adds `components` to _generated/api; offline codegen cannot, so it is declared here.
export const components = componentsGeneric() as unknown as { ssoGateway: ComponentApi<"ssoGateway"> };

export const gateway = new SsoGateway(components.ssoGateway, {
  envQuery: internal.gateway.ssoEnv, // crons and scheduled jobs of the component read the env through it
  samlNodeActions: internal.samlNode,
  authorization: {
    roles: {
      admin: { label: "Admin", grants: ["projects:read", "projects:write"] },
      member: { label: "Member", grants: ["projects:read"] },
    },
  },
});

// Internal: the env (signing and encryption keys included) for the component's crons and scheduled jobs.
export const ssoEnv = gateway.envQuery();
