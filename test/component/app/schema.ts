import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // What the app's afterUserCreatedOrUpdated saw, one row per call.
  userChanges: defineTable({ userId: v.string(), existingUser: v.boolean(), groupId: v.string(), source: v.string() }),
  // A switch for the rollback test: while a row exists, the hook throws.
  hookFailures: defineTable({ reason: v.string() }),
});
