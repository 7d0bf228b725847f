// Type tests: what the ./server helpers and the SsoGateway give an app's code, checked by the compiler (typecheck)
// and by vitest's expectTypeOf at run time.
import { makeFunctionReference, type GenericQueryCtx, type GenericDataModel } from "convex/server";
import { describe, expectTypeOf, it } from "vitest";
import { SsoGateway, type ComponentApi, type GatewayEnv, type GatewayOptions } from "../../src/gateway";
import {
  createSsoHelpers,
  getSsoIdentity,
  requireGrant,
  requireRole,
  type SsoAuthMethod,
  type SsoErrorData,
  type SsoIdentity,
} from "../../src/server";

type Ctx = GenericQueryCtx<GenericDataModel>;

describe("helper types", () => {
  it("getSsoIdentity → SsoIdentity | null with the documented fields", () => {
    expectTypeOf(getSsoIdentity).returns.resolves.toEqualTypeOf<SsoIdentity | null>();
    expectTypeOf<SsoIdentity>().toEqualTypeOf<{
      userId: string;
      sessionId: string;
      groupId: string;
      group: string;
      role: string;
      roles: string[];
      grants: string[];
      email: string | null;
      emailVerified: boolean;
      name: string | null;
      authMethod: SsoAuthMethod;
      connectionId: string | null;
    }>();
    expectTypeOf<SsoAuthMethod>().toEqualTypeOf<"saml" | "oidc" | "dev">();
  });

  it("requireRole / requireGrant resolve to a non-null identity; roles are at least one", () => {
    expectTypeOf(requireRole).returns.resolves.toEqualTypeOf<SsoIdentity>();
    expectTypeOf(requireGrant).returns.resolves.toEqualTypeOf<SsoIdentity>();
    expectTypeOf(requireRole).parameters.toEqualTypeOf<[Parameters<typeof requireRole>[0], string, ...string[]]>();
    expectTypeOf<SsoErrorData["kind"]>().toEqualTypeOf<"Unauthenticated" | "NotAMember" | "SessionRevoked" | "MissingRole" | "MissingGrant">();
  });

  it("bound helpers keep the types; the SsoGateway is a helpers config (embedded live-session check)", () => {
    const gateway = new SsoGateway({} as ComponentApi, { envQuery: makeFunctionReference<"query", Record<string, never>, GatewayEnv>("gateway:ssoEnv") });
    const sso = createSsoHelpers(gateway);
    expectTypeOf<Ctx>().toMatchTypeOf<Parameters<typeof sso.getSsoIdentity>[0]>(); // a query ctx is accepted
    expectTypeOf(sso.getSsoIdentity).returns.resolves.toEqualTypeOf<SsoIdentity | null>();
    expectTypeOf(sso.requireGrant).returns.resolves.toEqualTypeOf<SsoIdentity>();
    expectTypeOf(gateway.options).toEqualTypeOf<GatewayOptions>();
    expectTypeOf(gateway.options.authorization.roles).toEqualTypeOf<Record<string, { label: string; grants: string[] }>>();
    expectTypeOf(gateway.options.session.inactiveDurationMs).toBeNumber();
    expectTypeOf(gateway.options.signIn.maxFailedAttemptsPerHour).toBeNumber();
  });
});
