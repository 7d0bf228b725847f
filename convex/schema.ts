import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { oidcTables } from "./tables/oidc";

export default defineSchema({
  ...coreTables,
  ...oidcTables,
});
