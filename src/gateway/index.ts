// The app-side class of the gateway component: `new SsoGateway(components.ssoGateway, options)`.
// It validates the options once, reads the env the component cannot see (issuer, options, encryption key, signing
// keys: ./env.ts) and passes it with every call, serves it to the component's crons and scheduled jobs through
// the app's env query (`envQuery()`), mounts the HTTP surface in the app's router and wraps the component's admin
// operations in typed methods.
import {
  createFunctionHandle,
  getFunctionAddress,
  getFunctionName,
  internalQueryGeneric,
  makeFunctionReference,
  type FunctionArgs,
  type FunctionReference,
  type FunctionReturnType,
  type HttpRouter,
  type RegisteredQuery,
} from "convex/server";
import { z } from "zod";
import type { ComponentApi } from "../component/_generated/component";
import { gatewayEnvValidator, type GatewayEnv } from "../component/lib/env";
import { ConfigError, configErrorFrom, deepFreeze, gatewayOptionsSchema, type GatewayOptions } from "../session/options";
import { envFromProcess } from "./env";
import { componentReference, mountGatewayRoutes, type SamlNodeActions } from "./routes";
import { requireGrant } from "../server";

/** The grant that opens the operator page (and that operatorOverview is meant to sit behind). */
export const OPERATOR_GRANT = "gateway:admin";

export type { ComponentApi } from "../component/_generated/component";
export type { SamlNodeActions } from "./routes";
export type { GatewayOptions } from "../session/options";
export type { GatewayEnv } from "../component/lib/env";

/** What `callbacks.afterUserCreatedOrUpdated` receives (an app internal mutation with these args). */
export type AfterUserCreatedOrUpdatedArgs = {
  userId: string;
  existingUser: boolean;
  groupId: string;
  source: "saml" | "oidc" | "scim" | "dev";
};

export type GatewayOptionsInput = z.input<typeof gatewayOptionsSchema>;

/** The app's env query: `export const ssoEnv = gateway.envQuery()` in the module that creates the gateway. */
export type EnvQueryReference = FunctionReference<"query", "internal" | "public", Record<string, never>, GatewayEnv>;

const ENV_QUERY_HELP =
  "is required: export the app's env query from the module that creates the gateway (`export const ssoEnv = gateway.envQuery();` in convex/gateway.ts) and pass its reference (`envQuery: internal.gateway.ssoEnv`). The gateway's crons and scheduled jobs read the env through it.";

export interface SsoGatewayOptions extends GatewayOptionsInput {
  /**
   * The reference of the app's env query (`internal.gateway.ssoEnv`, exported as `gateway.envQuery()`). Crons and
   * scheduled jobs inside the component call it for the env, so that no key travels in a job's stored arguments.
   */
  envQuery: EnvQueryReference;
  /** The issuer (public base URL). Default: GATEWAY_ISSUER or CONVEX_SITE_URL, plus the routes' pathPrefix. */
  issuer?: string;
  /**
   * Where `registerRoutes` mounts the routes ("/auth" → /auth/sso/…, /auth/portal/…; default the root). It is part
   * of the issuer, which the env query (crons, jobs) and functions outside http.ts (createSetupLink in an action)
   * must know too, since Convex loads http.ts only for HTTP requests: so it is given here.
   */
  pathPrefix?: string;
  callbacks?: {
    /** An app mutation called inside the sign-in / SCIM transaction: it throws → the change rolls back. */
    afterUserCreatedOrUpdated?: FunctionReference<"mutation", "internal" | "public", AfterUserCreatedOrUpdatedArgs>;
  };
  /** The app's "use node" SAML actions (see README: a component cannot hold Node actions). */
  samlNodeActions?: SamlNodeActions;
}

type RunCtx = { runQuery: (ref: any, args?: any) => Promise<any> };
type RunMutationCtx = RunCtx & { runMutation: (ref: any, args?: any) => Promise<any> };
type RunActionCtx = RunMutationCtx & { runAction: (ref: any, args?: any) => Promise<any> };

const callbackKeys = ["issuer", "pathPrefix", "callbacks", "samlNodeActions", "envQuery"] as const;

// The kind of each admin function the typed methods call (a component reference does not carry it).
const ADMIN_KINDS: Record<string, "query" | "mutation" | "action"> = {
  "admin/groups:list": "query",
  "admin/apps:list": "query",
  "admin/memberships:list": "query",
  "portal/links:overview": "query",
  "scim/requestLog:recent": "query",
  "saml/admin:createConnection": "action",
  "oidc/admin:saveConnection": "action",
  "sessions:isLive": "query",
};

export class SsoGateway {
  readonly options: GatewayOptions;
  private readonly pathPrefix: string;

  constructor(
    readonly component: ComponentApi,
    private readonly config: SsoGatewayOptions,
  ) {
    const rest: Record<string, unknown> = { ...config };
    for (const k of callbackKeys) delete rest[k];
    // Options from the constructor win over GATEWAY_OPTIONS (the standalone deployment's env).
    const fromEnv = envFromProcess().options as Record<string, unknown>;
    const parsed = gatewayOptionsSchema.safeParse({ ...fromEnv, ...rest });
    if (!parsed.success) throw configErrorFrom(parsed.error);
    this.options = deepFreeze(parsed.data);
    if (!isFunctionReference(config?.envQuery)) throw new ConfigError("envQuery", ENV_QUERY_HELP);
    this.pathPrefix = (config.pathPrefix ?? "").replace(/\/+$/, "");
    if (this.pathPrefix && !this.pathPrefix.startsWith("/")) throw new ConfigError("pathPrefix", `must start with "/": ${config.pathPrefix}`);
  }

  /**
   * The env passed down to the component on every call (read per call: env changes apply without a redeploy).
   * With a function's `ctx` it also carries the function handles of the app's env query and callbacks.
   */
  async env(ctx?: unknown): Promise<GatewayEnv> {
    const fromProcess = envFromProcess();
    const issuer = (this.config.issuer ?? fromProcess.issuer).replace(/\/+$/, "") + this.pathPrefix;
    const env: GatewayEnv = { ...fromProcess, issuer, options: { ...(fromProcess.options as object), ...this.optionOverrides() } };
    if (!ctx) return env;
    env.envHandle = await this.handle(this.config.envQuery).catch((err) => {
      throw new ConfigError("envQuery", `${getFunctionName(this.config.envQuery)} has no function handle (${String(err)}): is \`export const ssoEnv = gateway.envQuery()\` in that module?`);
    });
    const callback = this.config.callbacks?.afterUserCreatedOrUpdated;
    if (callback) env.callbacks = { afterUserCreatedOrUpdated: await this.handle(callback) };
    return env;
  }

  /**
   * The app's env query, for the component's crons and scheduled jobs (they run with no caller to pass the env):
   * `export const ssoEnv = gateway.envQuery();` in the module that creates the gateway, and `envQuery:
   * internal.gateway.ssoEnv` in the options. Internal: clients cannot call it; it returns the keys.
   */
  envQuery(): RegisteredQuery<"internal", Record<string, never>, Promise<GatewayEnv>> {
    return internalQueryGeneric({ args: {}, returns: gatewayEnvValidator, handler: (ctx) => this.env(ctx) });
  }

  // A function's handle is the same for the life of a deployment: created once per isolate.
  private readonly handles = new Map<string, Promise<string>>();
  private handle(ref: FunctionReference<"query" | "mutation", "internal" | "public">): Promise<string> {
    const name = getFunctionName(ref);
    let made = this.handles.get(name);
    if (!made) {
      made = createFunctionHandle(ref);
      made.catch(() => this.handles.delete(name));
      this.handles.set(name, made);
    }
    return made;
  }

  private optionOverrides() {
    const rest: Record<string, unknown> = { ...this.config };
    for (const k of callbackKeys) delete rest[k];
    return rest;
  }

  /**
   * Mounts /.well-known/*, /sso/*, /oauth/*, /scim/v2/*, /events, /portal/* under the gateway's `pathPrefix` (part of
   * the issuer). `opts.pathPrefix`, if given, must be the same: the prefix is an option of `new SsoGateway` so that
   * the env query, which may run where this module never loaded, knows the issuer too.
   */
  registerRoutes(http: HttpRouter, opts: { pathPrefix?: string } = {}) {
    const asked = (opts.pathPrefix ?? this.pathPrefix).replace(/\/+$/, "");
    if (asked !== this.pathPrefix) {
      throw new ConfigError("pathPrefix", `registerRoutes was given "${opts.pathPrefix}": pass it to new SsoGateway(components.ssoGateway, { pathPrefix: "${asked}", ... }) instead, so that the issuer is the same in the env query`);
    }
    mountGatewayRoutes(http, { component: this.component, env: (ctx) => this.env(ctx), samlNodeActions: this.config.samlNodeActions }, this.pathPrefix);
  }

  // ---- admin operations (call them from your own admin functions, after your own authorization) ----

  /**
   * Runs any of the component's functions by name ("saml/admin:createConnection") with the env attached: what the
   * standalone deployment's `admin:run` (and `npm run admin -- --prod`) uses, since `npx convex run --component`
   * cannot pass the env down.
   */
  async run(ctx: RunActionCtx, kind: "query" | "mutation" | "action", fn: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const ref = componentReference(this.component, makeFunctionReference(fn));
    const withEnv = { ...args, env: await this.env(ctx) };
    if (kind === "query") return ctx.runQuery(ref, withEnv);
    if (kind === "mutation") return ctx.runMutation(ref, withEnv);
    return ctx.runAction(ref, withEnv);
  }

  private async call<F extends FunctionReference<"query" | "mutation" | "action", any>>(
    ctx: RunActionCtx | RunMutationCtx | RunCtx,
    ref: F,
    args: FunctionArgs<F>,
  ): Promise<FunctionReturnType<F>> {
    const withEnv = { ...args, env: await this.env("runMutation" in ctx ? ctx : undefined) };
    const kind = this.kindOf(ref);
    if (kind === "query") return ctx.runQuery(ref, withEnv);
    if (kind === "mutation") return (ctx as RunMutationCtx).runMutation(ref, withEnv);
    return (ctx as RunActionCtx).runAction(ref, withEnv);
  }

  private kindOf(ref: FunctionReference<any, any>): "query" | "mutation" | "action" {
    // A component reference's address is "_reference/childComponent/<name>/<module path>/<export>".
    const parts = String(getFunctionAddress(ref).reference ?? "").split("/").slice(3);
    const name = `${parts.slice(0, -1).join("/")}:${parts.at(-1)}`;
    return ADMIN_KINDS[name] ?? "mutation";
  }

  createGroup(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["admin"]["groups"]["create"]>) {
    return this.call(ctx, this.component.admin.groups.create, args);
  }
  updateGroup(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["admin"]["groups"]["update"]>) {
    return this.call(ctx, this.component.admin.groups.update, args);
  }
  listGroups(ctx: RunCtx, args: FunctionArgs<ComponentApi["admin"]["groups"]["list"]> = {} as never) {
    return this.call(ctx, this.component.admin.groups.list, args);
  }
  createApp(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["admin"]["apps"]["create"]>) {
    return this.call(ctx, this.component.admin.apps.create, args);
  }
  listApps(ctx: RunCtx, args: FunctionArgs<ComponentApi["admin"]["apps"]["list"]> = {} as never) {
    return this.call(ctx, this.component.admin.apps.list, args);
  }
  listMemberships(ctx: RunCtx, args: FunctionArgs<ComponentApi["admin"]["memberships"]["list"]>) {
    return this.call(ctx, this.component.admin.memberships.list, args);
  }
  setMembership(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["admin"]["memberships"]["upsert"]>) {
    return this.call(ctx, this.component.admin.memberships.upsert, args);
  }
  createSamlConnection(ctx: RunActionCtx, args: FunctionArgs<ComponentApi["saml"]["admin"]["createConnection"]>) {
    return this.call(ctx, this.component.saml.admin.createConnection, args);
  }
  saveOidcConnection(ctx: RunActionCtx, args: FunctionArgs<ComponentApi["oidc"]["admin"]["saveConnection"]>) {
    return this.call(ctx, this.component.oidc.admin.saveConnection, args);
  }
  createScimDirectory(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["scim"]["admin"]["createDirectory"]>) {
    return this.call(ctx, this.component.scim.admin.createDirectory, args);
  }
  mintScimToken(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["scim"]["admin"]["mintToken"]>) {
    return this.call(ctx, this.component.scim.admin.mintToken, args);
  }

  /**
   * A single-use setup-portal link for one group's IT admin (docs/portal.md): what a "Configure SSO" button in
   * your app's settings page hands out. Only its hash is stored; the URL is on your app's site (the issuer).
   */
  createSetupLink(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["portal"]["links"]["create"]>) {
    return this.call(ctx, this.component.portal.links.create, args);
  }
  revokeSetupLink(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["portal"]["links"]["revoke"]>) {
    return this.call(ctx, this.component.portal.links.revoke, args);
  }
  /**
   * The operator overview: every group with the state of its connections, SCIM directories and domains, and the
   * setup links issued. For your team's own admin page, behind `requireGrant(ctx, "gateway:admin")`.
   */
  operatorOverview(ctx: RunCtx) {
    return this.call(ctx, this.component.portal.links.overview, {});
  }
  /**
   * A single-use operator link (15 minutes) to the gateway's operator page (/portal/operator/): groups,
   * connections, directories, domains and setup links, with "create setup link" and "revoke". Only for a
   * signed-in member whose role grants `gateway:admin` (checked here: ConvexError `MissingGrant` otherwise),
   * so a "Gateway" button in your admin page cannot hand the operator page to anyone else. Call it from a
   * mutation or an action; show the URL to that person only.
   */
  async createOperatorLink(ctx: RunMutationCtx & { auth: Parameters<typeof requireGrant>[0]["auth"] }, args: { expiresInMinutes?: number } = {}) {
    const who = await requireGrant(ctx, OPERATOR_GRANT, { authorization: this.options.authorization, sessionIsLive: this.sessionIsLive });
    return this.call(ctx, this.component.portal.operator.createLink, { ...args, createdBy: `user:${who.userId}` });
  }
  /** A SCIM directory's newest requests (method, path, status, scimType, token hint, duration; no bodies, no tokens). */
  scimRequestLog(ctx: RunCtx, args: FunctionArgs<ComponentApi["scim"]["requestLog"]["recent"]>) {
    return this.call(ctx, this.component.scim.requestLog.recent, args);
  }
  /** Disable (or re-enable) a group: sign-in refused, refresh and introspection fail at once, sessions revoked. */
  setGroupStatus(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["admin"]["groups"]["setStatus"]>) {
    return this.call(ctx, this.component.admin.groups.setStatus, args);
  }
  /** Disable (or re-enable) one SSO connection, SAML or OIDC, revoking the sessions it created. */
  setConnectionStatus(ctx: RunMutationCtx, args: FunctionArgs<ComponentApi["oauth"]["grants"]["setConnectionStatus"]>) {
    return this.call(ctx, this.component.oauth.grants.setConnectionStatus, args);
  }

  /** True while the session exists and is neither revoked, expired nor idle (getSsoIdentity's embedded check). */
  sessionIsLive = async (ctx: RunCtx, args: { sessionId: string; userId: string }): Promise<boolean> => {
    return this.call(ctx, this.component.sessions.isLive, args);
  };

  /** `authorization.roles` (grants are resolved from it by the ./server helpers). */
  get authorization() {
    return this.options.authorization;
  }
}

function isFunctionReference(ref: unknown): boolean {
  if (!ref || (typeof ref !== "object" && typeof ref !== "function")) return false;
  try {
    return getFunctionName(ref as FunctionReference<"query">).length > 0;
  } catch {
    return false;
  }
}
