import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { eventsTables } from "./tables/events";
import { oidcTables } from "./tables/oidc";
import { portalTables } from "./tables/portal";
import { samlTables } from "./tables/saml";
import { scimTables } from "./tables/scim";
import { scimLogTables } from "./tables/scimLog";
import { operatorTables } from "./tables/operator";

export default defineSchema({
  ...coreTables,
  ...samlTables,
  ...oidcTables,
  ...scimTables,
  ...scimLogTables,
  ...eventsTables,
  ...portalTables,
  ...operatorTables,
});
