import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { oidcTables } from "./tables/oidc";
import { samlTables } from "./tables/saml";
import { scimTables } from "./tables/scim";

export default defineSchema({
  ...coreTables,
  ...samlTables,
  ...oidcTables,
  ...scimTables,
});
