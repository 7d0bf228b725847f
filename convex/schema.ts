import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { samlTables } from "./tables/saml";

export default defineSchema({
  ...coreTables,
  ...samlTables,
});
