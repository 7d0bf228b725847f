import { SsoGateway, type SamlNodeActions } from "../../../src/gateway";
import { createSsoHelpers } from "../../../src/server";
import { components, internal } from "./_generated/api";

export const gateway = new SsoGateway(components.ssoGateway, {
  envQuery: internal.gateway.ssoEnv,
  jwt: { durationMs: 15 * 60_000 },
  traces: { retentionMs: 2 * 3_600_000 }, // not the defaults: test/component/envSeam.test.ts looks for them in crons
  events: { retentionDays: 7 },
  authorization: {
    roles: {
      admin: { label: "Admin", grants: ["projects:read", "projects:write", "gateway:admin"] },
      member: { label: "Member", grants: ["projects:read"] },
    },
  },
  callbacks: { afterUserCreatedOrUpdated: internal.hooks.afterUserCreatedOrUpdated },
  samlNodeActions: internal.samlNode as unknown as SamlNodeActions, // typed by codegen in a real app
});

export const ssoEnv = gateway.envQuery();

export const sso = createSsoHelpers(gateway);
