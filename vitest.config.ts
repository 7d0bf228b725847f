import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    setupFiles: ["test/setup.ts"],
    server: { deps: { inline: ["convex-test"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One fork per core (vitest's default leaves one core idle): the suite is mostly CPU-bound engine work, and
    // on a 2-core machine this is what keeps `npm test` near its 3-minute budget.
    maxWorkers: availableParallelism(),
  },
});
