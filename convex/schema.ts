import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { oidcTables } from "./tables/oidc";
import { scimTables } from "./tables/scim";

export default defineSchema({
  ...coreTables,
  ...oidcTables,
  ...scimTables,
});
