// Test environment: a fixed issuer, test-only keys, and no network beyond this machine's loopback
// (STYLE.md §11: an unexpected outbound call fails loudly).
import { readFileSync } from "node:fs";

// Test files share worker processes (vitest `isolate: false`, see vitest.config.ts): every file starts from the
// environment the worker started with, whatever an earlier file (a local gateway it started) set.
const shared = globalThis as { __envAtStart?: Record<string, string | undefined>; __realFetch?: typeof fetch };
const envAtStart = (shared.__envAtStart ??= { ...process.env });
for (const key of Object.keys(process.env)) if (!(key in envAtStart)) delete process.env[key];
Object.assign(process.env, envAtStart);

process.env.CONVEX_SITE_URL ??= "https://gw.example.test";
process.env.GATEWAY_SIGNING_KEYS ??= readFileSync(new URL("../fixtures/keys/test-signing-jwks.json", import.meta.url), "utf8");
process.env.GATEWAY_ENCRYPTION_KEY ??= "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM";

// Tests are the local gateway's process for the purpose of GATEWAY_LOCAL (src/gateway/env.ts localGatewayProcess).
(globalThis as Record<symbol, unknown>)[Symbol.for("convex-sso-gateway/local-gateway-process")] = true;

// Guard the worker's real fetch once (a file that replaced fetch gets the guarded one back).
const realFetch = (shared.__realFetch ??= globalThis.fetch);
globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (!loopback) throw new Error(`unexpected network call in a test: ${url.origin}`);
  return realFetch(input, init);
}) as typeof fetch;

// Indexed reads in convex-test's engine (local/indexedReads.ts) for every engine of this test process, as in
// the local gateway; test/foundation/indexedReads.test.ts compares it with convex-test's own table scans.
import { convexTest } from "convex-test";
import { enableIndexedReads } from "../local/indexedReads";
await enableIndexedReads(convexTest(undefined, import.meta.glob("../convex/**/*.ts")));
