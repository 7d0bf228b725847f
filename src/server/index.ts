// Helpers for the app's own Convex functions, in both deployment modes: the signed-in person's group, role and
// grants from the session JWT (`ctx.auth.getUserIdentity()`), typed, and guards that throw ConvexError values
// with a `kind`. Grants are resolved here from `authorization.roles`, so tokens carry role names only.
// Embedded mode (pass the SsoGateway): the session row is checked too, so revocation is immediate.
import {
  type ActionBuilder,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type MutationBuilder,
  type QueryBuilder,
  type FunctionVisibility,
  type UserIdentity,
} from "convex/server";
import { ConvexError } from "convex/values";
import { customAction, customCtx, customMutation, customQuery } from "convex-helpers/server/customFunctions";

export type SsoAuthMethod = "saml" | "oidc" | "dev";

/** The signed-in member, as the gateway's session JWT describes it. */
export interface SsoIdentity {
  userId: string;
  sessionId: string;
  groupId: string;
  /** The group's slug. */
  group: string;
  /** The primary role in the group. */
  role: string;
  roles: string[];
  /** Resolved from `authorization.roles` for `roles` (empty without a roles config). */
  grants: string[];
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  authMethod: SsoAuthMethod;
  connectionId: string | null;
}

export type SsoErrorKind = "Unauthenticated" | "NotAMember" | "SessionRevoked" | "MissingRole" | "MissingGrant";

/** What the guards throw: `new ConvexError({ kind, message, ... })`. */
export interface SsoErrorData {
  kind: SsoErrorKind;
  message: string;
  [key: string]: string | string[];
}

export interface SsoRolesConfig {
  roles?: Readonly<Record<string, { label?: string; grants?: readonly string[] }>>;
}

/** Standalone: `{ authorization: { roles } }`. Embedded: the SsoGateway (it adds the live-session check). */
export interface SsoHelpersConfig {
  authorization?: SsoRolesConfig;
  sessionIsLive?: (ctx: AnyCtx, ids: { sessionId: string; userId: string }) => Promise<boolean>;
}

type RunQuery = (query: any, args?: any) => Promise<any>;
type AnyCtx = { auth: GenericQueryCtx<GenericDataModel>["auth"]; runQuery: RunQuery };
/** A query, mutation or action ctx (or anything with `auth`; `runQuery` for the embedded live-session check). */
type AuthCtx = { auth: GenericQueryCtx<GenericDataModel>["auth"]; runQuery?: RunQuery };

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** The grants of these roles under `authorization.roles` (unknown roles grant nothing), sorted, each once. */
export function grantsFor(config: SsoRolesConfig | undefined, roles: readonly string[]): string[] {
  const out = new Set<string>();
  for (const role of roles) for (const grant of config?.roles?.[role]?.grants ?? []) out.add(grant);
  return [...out].sort();
}

/** The identity's SSO claims, or null when the token is not a gateway session of a group member. */
export function ssoIdentityFromClaims(identity: UserIdentity | null, config?: SsoHelpersConfig): SsoIdentity | null {
  if (!identity) return null;
  const claims = identity as UserIdentity & Record<string, unknown>;
  const sessionId = str(claims.sid);
  const groupId = str(claims.group_id);
  const group = str(claims.group);
  const role = str(claims.role);
  if (!sessionId || !groupId || !group || !role) return null;
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [role];
  const authMethod = str(claims.auth_method);
  return {
    userId: identity.subject,
    sessionId,
    groupId,
    group,
    role,
    roles,
    grants: grantsFor(config?.authorization, roles),
    email: str(identity.email),
    emailVerified: identity.emailVerified === true,
    name: str(identity.name),
    authMethod: (authMethod === "saml" || authMethod === "oidc" ? authMethod : "dev") as SsoAuthMethod,
    connectionId: str(claims.connection_id),
  };
}

/** The signed-in member, or null (not signed in, not a gateway session, or — embedded — a revoked session). */
export async function getSsoIdentity(ctx: AuthCtx, config?: SsoHelpersConfig): Promise<SsoIdentity | null> {
  const sso = ssoIdentityFromClaims(await ctx.auth.getUserIdentity(), config);
  if (!sso || !config?.sessionIsLive || !ctx.runQuery) return sso;
  const live = await config.sessionIsLive(ctx as AnyCtx, { sessionId: sso.sessionId, userId: sso.userId });
  return live ? sso : null;
}

function fail(kind: SsoErrorKind, message: string, extra: Record<string, string | string[]> = {}): never {
  throw new ConvexError<SsoErrorData>({ kind, message, ...extra });
}

/** The signed-in member, or a ConvexError `{ kind: "Unauthenticated" | "NotAMember" | "SessionRevoked" }`. */
export async function requireSsoIdentity(ctx: AuthCtx, config?: SsoHelpersConfig): Promise<SsoIdentity> {
  const identity = await ctx.auth.getUserIdentity();
  if (!identity) fail("Unauthenticated", "sign in first");
  const sso = ssoIdentityFromClaims(identity, config);
  if (!sso) fail("NotAMember", "this token is not a member session of a group");
  if (config?.sessionIsLive && ctx.runQuery) {
    const live = await config.sessionIsLive(ctx as AnyCtx, { sessionId: sso.sessionId, userId: sso.userId });
    if (!live) fail("SessionRevoked", "the session was revoked or has expired");
  }
  return sso;
}

function checkRole(sso: SsoIdentity, roles: readonly string[]): SsoIdentity {
  if (!roles.some((r) => sso.roles.includes(r))) fail("MissingRole", `requires role ${roles.map((r) => `"${r}"`).join(" or ")}`, { required: [...roles] });
  return sso;
}

function checkGrant(sso: SsoIdentity, grant: string): SsoIdentity {
  if (!sso.grants.includes(grant)) fail("MissingGrant", `requires grant "${grant}"`, { required: grant });
  return sso;
}

/** The member if they hold one of `roles` in their group; otherwise ConvexError `{ kind: "MissingRole" }`. */
export async function requireRole(ctx: AuthCtx, ...roles: [string, ...string[]]): Promise<SsoIdentity> {
  return checkRole(await requireSsoIdentity(ctx), roles);
}

/** The member if one of their roles grants `grant`; otherwise ConvexError `{ kind: "MissingGrant" }`. */
export async function requireGrant(ctx: AuthCtx, grant: string, config?: SsoHelpersConfig): Promise<SsoIdentity> {
  return checkGrant(await requireSsoIdentity(ctx, config), grant);
}

/**
 * The helpers bound to one configuration, plus custom function builders (convex-helpers) that put the member in
 * `ctx.sso` and refuse everyone else before the handler runs:
 *
 *   const sso = createSsoHelpers(gateway);            // embedded; standalone: { authorization: { roles } }
 *   export const ssoQuery = sso.query(query);
 *   export const list = ssoQuery({ args: {}, handler: (ctx) => ctx.sso.groupId });
 */
export function createSsoHelpers(config: SsoHelpersConfig = {}) {
  return {
    getSsoIdentity: (ctx: AuthCtx) => getSsoIdentity(ctx, config),
    requireSsoIdentity: (ctx: AuthCtx) => requireSsoIdentity(ctx, config),
    requireRole: async (ctx: AuthCtx, ...roles: [string, ...string[]]) => checkRole(await requireSsoIdentity(ctx, config), roles),
    requireGrant: (ctx: AuthCtx, grant: string) => requireGrant(ctx, grant, config),
    query: <DM extends GenericDataModel, V extends FunctionVisibility>(query: QueryBuilder<DM, V>) =>
      customQuery(query, customCtx(async (ctx: GenericQueryCtx<DM>) => ({ sso: await requireSsoIdentity(ctx, config) }))),
    mutation: <DM extends GenericDataModel, V extends FunctionVisibility>(mutation: MutationBuilder<DM, V>) =>
      customMutation(mutation, customCtx(async (ctx: GenericMutationCtx<DM>) => ({ sso: await requireSsoIdentity(ctx, config) }))),
    action: <DM extends GenericDataModel, V extends FunctionVisibility>(action: ActionBuilder<DM, V>) =>
      customAction(action, customCtx(async (ctx: GenericActionCtx<DM>) => ({ sso: await requireSsoIdentity(ctx, config) }))),
  };
}

/** Custom builders with the default (standalone, no roles config) helpers: `ssoQuery(query)({ handler })`. */
export const ssoQuery = <DM extends GenericDataModel, V extends FunctionVisibility>(query: QueryBuilder<DM, V>, config?: SsoHelpersConfig) =>
  createSsoHelpers(config).query(query);
export const ssoMutation = <DM extends GenericDataModel, V extends FunctionVisibility>(mutation: MutationBuilder<DM, V>, config?: SsoHelpersConfig) =>
  createSsoHelpers(config).mutation(mutation);
export const ssoAction = <DM extends GenericDataModel, V extends FunctionVisibility>(action: ActionBuilder<DM, V>, config?: SsoHelpersConfig) =>
  createSsoHelpers(config).action(action);
