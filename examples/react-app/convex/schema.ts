import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // The app's own data, per organisation (the gateway's group id from the session token).
  projects: defineTable({
    groupId: v.string(),
    name: v.string(),
    createdBy: v.string(),
  }).index("by_groupId", ["groupId"]),
});
