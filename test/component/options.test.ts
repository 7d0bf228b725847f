// SsoGateway options: the seed's names, validated once at construction with the dotted path of the bad field.
import { httpRouter, makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { SsoGateway, type ComponentApi } from "../../src/gateway";
import { grantsFor } from "../../src/server";

const component = {} as ComponentApi;
const envQuery = makeFunctionReference<"query", Record<string, never>, never>("gateway:ssoEnv");

describe("SsoGateway options", () => {
  it("defaults follow Convex Auth's and the seed's names", () => {
    const g = new SsoGateway(component, { envQuery });
    expect(g.options.jwt.durationMs).toBe(60 * 60 * 1000);
    expect(g.options.session).toEqual({ totalDurationMs: 30 * 86_400_000, inactiveDurationMs: 30 * 86_400_000 });
    expect(g.options.signIn.maxFailedAttemptsPerHour).toBe(10);
    expect(g.options.authorization.roles).toEqual({});
    expect(Object.isFrozen(g.options.authorization.roles)).toBe(true);
  });

  it.each([
    [{ session: { totalDurationMs: -1 } }, "session.totalDurationMs"],
    [{ jwt: { durationMs: "1h" } }, "jwt.durationMs"],
    [{ signIn: { maxFailedAttemptsPerHour: 0 } }, "signIn.maxFailedAttemptsPerHour"],
    [{ signIn: { max_failed_attempts_per_hour: 5 } }, "signIn"],
    [{ authorization: { roles: { admin: { label: "", grants: [] } } } }, "authorization.roles.admin.label"],
    [{ authorization: { roles: { admin: { label: "Admin", grants: [""] } } } }, "authorization.roles.admin.grants.0"],
    [{ authorization: { roles: { "bad role": { label: "x" } } } }, "authorization.roles.bad role"],
  ])("refuses %j naming %s", (options, path) => {
    expect(() => new SsoGateway(component, { envQuery, ...options } as never)).toThrow(expect.objectContaining({ name: "ConfigError", path }));
  });

  it("grants are resolved from authorization.roles: union of the roles' grants, unknown roles grant nothing", () => {
    const g = new SsoGateway(component, {
      envQuery,
      authorization: { roles: { admin: { label: "Admin", grants: ["b", "a"] }, auditor: { label: "Auditor", grants: ["a", "c"] } } },
    });
    expect(grantsFor(g.authorization, ["admin", "auditor", "ghost"])).toEqual(["a", "b", "c"]);
    expect(grantsFor(g.authorization, ["ghost"])).toEqual([]);
  });

  it("pathPrefix is the gateway's (the env query must know the issuer): registerRoutes may only repeat it", () => {
    expect(() => new SsoGateway(component, { envQuery, pathPrefix: "auth" })).toThrow(expect.objectContaining({ name: "ConfigError", path: "pathPrefix" }));
    const g = new SsoGateway(component, { envQuery, pathPrefix: "/auth/" });
    expect(() => g.registerRoutes(httpRouter(), { pathPrefix: "/sso" })).toThrow(expect.objectContaining({ name: "ConfigError", path: "pathPrefix" }));
    const http = httpRouter();
    g.registerRoutes(http, { pathPrefix: "/auth" });
    expect(http.lookup("/auth/.well-known/jwks.json", "GET")).not.toBeNull();
    expect(http.lookup("/.well-known/jwks.json", "GET")).toBeNull();
  });
});
