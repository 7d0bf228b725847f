// The package as a fresh app gets it: `npm pack` (which builds dist/ with tsc; scripts/pack.ts, shared with the
// example app and cached per hash of the sources, so a test run packs once), the tarball unpacked into a new
// app's node_modules (what `npm install ./convex-sso-gateway-x.y.z.tgz` does with it), and that app — embedded
// mode as the README sets it up — typechecked against the package's `exports` map only. The app lives under
// node_modules/.cache so that the package's own dependencies resolve from this repository's node_modules
// without a network.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { installPacked, packedTarball } from "../../scripts/pack";

const ROOT = resolve(import.meta.dirname, "..", "..");
const WORK = join(ROOT, "node_modules", ".cache", "fresh-install");

const APP_FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "fresh-app", private: true, type: "module" }),
  "tsconfig.json": JSON.stringify({
    compilerOptions: { target: "ES2022", lib: ["ES2022", "DOM"], module: "ESNext", moduleResolution: "Bundler", strict: true, noEmit: true, skipLibCheck: true, types: [], jsx: "react-jsx" },
    include: ["convex/**/*.ts", "src/**/*.ts", "src/**/*.tsx"],
  }),
  "convex/convex.config.ts": `import { defineApp } from "convex/server";
import ssoGateway from "convex-sso-gateway/convex.config";
const app = defineApp();
app.use(ssoGateway);
export default app;
`,
  "convex/auth.config.ts": `export default { providers: [{ domain: process.env.CONVEX_SITE_URL!, applicationID: "my-app" }] };
declare const process: { env: Record<string, string | undefined> };
`,
  "convex/samlNode.ts": `"use node";
export { validateResponse, signMessage, verifyPostLogoutMessage } from "convex-sso-gateway/node";
`,
  "convex/gateway.ts": `import { componentsGeneric, makeFunctionReference } from "convex/server";
import { SsoGateway, type ComponentApi, type GatewayEnv as EnvOfGateway } from "convex-sso-gateway";
import { createSsoHelpers } from "convex-sso-gateway/server";
const components = componentsGeneric() as unknown as { ssoGateway: ComponentApi<"ssoGateway"> };
export const gateway = new SsoGateway(components.ssoGateway, {
  envQuery: makeFunctionReference<"query", Record<string, never>, EnvOfGateway>("gateway:ssoEnv"),
  pathPrefix: "/auth",
  session: { totalDurationMs: 7 * 24 * 3600_000, inactiveDurationMs: 24 * 3600_000 },
  jwt: { durationMs: 15 * 60_000 },
  signIn: { maxFailedAttemptsPerHour: 10 },
  authorization: { roles: { admin: { label: "Admin", grants: ["projects:write"] }, member: { label: "Member", grants: [] } } },
  callbacks: { afterUserCreatedOrUpdated: makeFunctionReference<"mutation", { userId: string; existingUser: boolean; groupId: string; source: "saml" | "oidc" | "scim" | "dev" }>("users:afterSso") },
});
export const ssoEnv = gateway.envQuery();
export const sso = createSsoHelpers(gateway);
`,
  "convex/http.ts": `import { httpRouter } from "convex/server";
import { gateway } from "./gateway";
const http = httpRouter();
gateway.registerRoutes(http, { pathPrefix: "/auth" });
export default http;
`,
  "convex/projects.ts": `import { queryGeneric } from "convex/server";
import { getSsoIdentity, requireGrant, requireRole, type SsoIdentity, type SsoErrorData } from "convex-sso-gateway/server";
import { gateway, sso } from "./gateway";
export const whoami = queryGeneric({
  args: {},
  handler: async (ctx) => {
    const who: SsoIdentity | null = await getSsoIdentity(ctx, gateway);
    const role: string | undefined = who?.role;
    const grants: string[] | undefined = who?.grants;
    return { role, grants, group: who?.group ?? null };
  },
});
export const guarded = queryGeneric({
  args: {},
  handler: async (ctx) => {
    const admin = await requireRole(ctx, "admin");
    const writer = await requireGrant(ctx, "projects:write", gateway);
    const kind: SsoErrorData["kind"] = "MissingGrant";
    return { admin: admin.userId, writer: writer.email, kind };
  },
});
const ssoQuery = sso.query(queryGeneric);
export const mine = ssoQuery({ args: {}, handler: async (ctx) => ctx.sso.groupId });
`,
  // The browser side, as the README shows it: convex-sso-gateway/client and /react.
  "src/sso.ts": `import { createSsoClient, type SsoState } from "convex-sso-gateway/client";
export const sso = createSsoClient({ issuer: "https://gw.example.test", clientId: "my-app", redirectUri: "https://app.example.test/callback" });
export const status = (s: SsoState): string => s.status;
`,
  "src/App.tsx": `import { ConvexReactClient } from "convex/react";
import { ConvexProviderWithSso, useSso } from "convex-sso-gateway/react";
import { sso } from "./sso";
const convex = new ConvexReactClient("https://app.example.test");
function Who() {
  const { isAuthenticated, claims, signIn, signOut } = useSso();
  return isAuthenticated ? <button onClick={() => void signOut()}>{claims?.email}</button> : <button onClick={() => void signIn({ email: "ada@acme.example" })}>Sign in</button>;
}
export const App = () => <ConvexProviderWithSso client={convex} sso={sso}><Who /></ConvexProviderWithSso>;
`,
  "convex/gateway.test-types.ts": `import { register, asComponent } from "convex-sso-gateway/test";
export type Registered = typeof register extends (t: any, name?: string) => void ? true : never;
export const _asComponent = asComponent;
`,
};

describe("fresh install of the packed package", () => {
  it("npm pack → unpack into a new app → the app typechecks against the exports", { timeout: 120_000 }, () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    const started = Date.now();
    const tarball = packedTarball();
    const files = tarball.files;
    expect(files).toContain("dist/gateway/index.js");
    expect(files).toContain("dist/component/convex.config.js");
    expect(files).toContain("dist/component/_generated/component.d.ts");
    expect(files).toContain("dist/browser/index.js");
    expect(files).toContain("dist/react/index.d.ts");
    expect(files.some((f) => f.startsWith("test/"))).toBe(false);

    const app = join(WORK, "app");
    const pkgDir = installPacked(app, tarball);
    for (const [path, text] of Object.entries(APP_FILES)) {
      mkdirSync(join(app, path, ".."), { recursive: true });
      writeFileSync(join(app, path), text);
    }
    expect(readdirSync(pkgDir)).toContain("dist");
    expect(existsSync(join(pkgDir, "src", "component", "convex.config.ts"))).toBe(true);

    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    let output = "";
    try {
      execFileSync(tsc, ["-p", join(app, "tsconfig.json")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe("");

    // Node's own ESM loader (no bundler) loads every entry point of the installed package: what a script, or a
    // test runner that does not inline dependencies, does with it.
    const entries = ["convex-sso-gateway", "convex-sso-gateway/convex.config", "convex-sso-gateway/server", "convex-sso-gateway/client", "convex-sso-gateway/react", "convex-sso-gateway/test", "convex-sso-gateway/node"];
    const loaded = execFileSync(process.execPath, ["--input-type=module", "-e", `for (const e of ${JSON.stringify(entries)}) { const m = await import(e); console.log(e, Object.keys(m).length > 0); }`], { cwd: app, encoding: "utf8" });
    expect(loaded.trim().split("\n")).toEqual(entries.map((e) => `${e} true`));

    // A misuse must fail the same check (the check can fail): a wrong option type is a type error.
    writeFileSync(join(app, "convex", "bad.ts"), `import { SsoGateway } from "convex-sso-gateway";\nexport const g = new SsoGateway({} as never, { jwt: { durationMs: "1h" } });\n`);
    let bad = "";
    try {
      execFileSync(tsc, ["-p", join(app, "tsconfig.json")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      bad = String((err as { stdout?: string }).stdout ?? "");
    }
    expect(bad).toMatch(/bad\.ts\(2,\d+\): error TS\d+/);
    console.log(`[fresh install] pack (cached per source hash) + unpack + 2 typechecks: ${Date.now() - started} ms`);
  });
});
