import { defineSchema } from "convex/server";
import { coreTables } from "./tables/core";

export default defineSchema({
  ...coreTables,
});
