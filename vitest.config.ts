import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/globalSetup.ts"],
    server: { deps: { inline: ["convex-test"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Test files share a worker process (no fresh module graph per file): about 40 % less wall time. Each file
    // starts from the worker's initial process.env (test/setup.ts); module state is per engine or keyed on its input.
    isolate: false,
    // One fork per core (vitest's default leaves one core idle): the suite is mostly CPU-bound engine work, and
    // on a 2-core machine this is what keeps `npm test` near its 3-minute budget.
    maxWorkers: availableParallelism(),
  },
});
