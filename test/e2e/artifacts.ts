// Where browser tests put their screenshots: one directory, test-artifacts/ at the repository root (gitignored),
// which CI keeps as artifacts and .ci/run lists at the end of its log. TEST_ARTIFACTS_DIR moves it.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ARTIFACTS_DIR = process.env.TEST_ARTIFACTS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts");

/** test-artifacts/<suite>/ (created), for one suite's screenshots. */
export function artifactsDir(suite: string): string {
  const dir = join(ARTIFACTS_DIR, suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}
