import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { oidcTables } from "./tables/oidc";
import { samlTables } from "./tables/saml";

export default defineSchema({
  ...coreTables,
  ...oidcTables,
  ...samlTables,
});
