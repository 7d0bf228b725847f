import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";
import { scimTables } from "./tables/scim";

export default defineSchema({
  ...coreTables,
  ...scimTables,
});
