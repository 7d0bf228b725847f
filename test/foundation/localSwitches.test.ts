// Issue 9 item 13: the local-only switches (GATEWAY_LOCAL: SSRF guard off, fixed dev encryption key) work only
// inside the local gateway's own process — never from a deployment's environment alone — and `npm start --host`
// on a non-loopback address warns and turns the dev sign-in off unless --allow-dev-signin.
import { afterEach, describe, expect, it, vi } from "vitest";
import { encryptionKey as encryptionKeyOf, enterEnv, isLocalGateway as isLocal } from "../../src/component/lib/env";
import { envFromProcess, LOCAL_GATEWAY_MARKER } from "../../src/gateway/env";
import { devSignInEnabled, exposedHostWarning } from "../../local/gateway";

const marker = globalThis as Record<symbol, unknown>;
// What the component sees: the env the app side reads from this process (src/gateway/env.ts) and passes down.
const isLocalGateway = () => (enterEnv(envFromProcess()), isLocal());
const encryptionKey = () => (enterEnv(envFromProcess()), encryptionKeyOf());
const saved = marker[LOCAL_GATEWAY_MARKER];
afterEach(() => {
  vi.unstubAllEnvs();
  marker[LOCAL_GATEWAY_MARKER] = saved;
});

describe("GATEWAY_LOCAL outside the local gateway process", () => {
  it("set in a deployment's environment (no in-process marker) it is refused: guard on, no dev key", () => {
    delete marker[LOCAL_GATEWAY_MARKER];
    vi.stubEnv("GATEWAY_LOCAL", "1");
    vi.stubEnv("GATEWAY_ENCRYPTION_KEY", "");
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(isLocalGateway()).toBe(false);
    expect(() => encryptionKey()).toThrow(/GATEWAY_ENCRYPTION_KEY is not set/);
    expect(error.mock.calls.flat().join(" ")).toMatch(/GATEWAY_LOCAL.*ignored/);
    error.mockRestore();
  });

  it("on a hosted Convex deployment it is refused even with the marker", () => {
    marker[LOCAL_GATEWAY_MARKER] = true;
    vi.stubEnv("GATEWAY_LOCAL", "1");
    vi.stubEnv("CONVEX_CLOUD_URL", "https://happy-animal-123.convex.cloud");
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(isLocalGateway()).toBe(false);
  });

  it("inside the local gateway process (marker set by local/gateway.ts) it is honoured", () => {
    marker[LOCAL_GATEWAY_MARKER] = true;
    vi.stubEnv("GATEWAY_LOCAL", "1");
    vi.stubEnv("CONVEX_CLOUD_URL", "");
    expect(isLocalGateway()).toBe(true);
  });
});

describe("npm start --host", () => {
  it("dev sign-in stays on for loopback hosts only, unless --allow-dev-signin", () => {
    for (const h of ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]) expect([h, devSignInEnabled(h, false)]).toEqual([h, true]);
    for (const h of ["0.0.0.0", "::", "192.0.2.10", "gateway.example"]) {
      expect([h, devSignInEnabled(h, false)]).toEqual([h, false]);
      expect(devSignInEnabled(h, true)).toBe(true);
    }
  });
  it("a non-loopback host gets a loud warning naming the risk and the flag; loopback none", () => {
    expect(exposedHostWarning("127.0.0.1", false)).toBeNull();
    expect(exposedHostWarning("0.0.0.0", false)).toMatch(/WARNING[\s\S]*\/_dev\/signin is OFF[\s\S]*--allow-dev-signin/);
    expect(exposedHostWarning("0.0.0.0", true)).toMatch(/anyone who can reach/);
  });
});
