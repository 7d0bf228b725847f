// The app-side class of the gateway component: `new SsoGateway(components.ssoGateway, options)`.
// It validates the options once, reads the env the component cannot see (issuer, encryption key; signing keys are
// read by the token endpoint itself, app-side), mounts the HTTP surface in the app's router and wraps the
// component's admin operations in typed methods.
import { createFunctionHandle, getFunctionAddress, makeFunctionReference, type FunctionArgs, type FunctionReference, type FunctionReturnType, type HttpRouter } from "convex/server";
import { z } from "zod";
import type { ComponentApi } from "../component/_generated/component";
import { envFromProcess, type GatewayEnv } from "../component/lib/env";
import { configErrorFrom, deepFreeze, gatewayOptionsSchema, type GatewayOptions } from "../session/options";
import { componentReference, mountGatewayRoutes, type SamlNodeActions } from "./routes";
import { requireGrant } from "../server";

/** The grant that opens the operator page (and that operatorOverview is meant to sit behind). */
export const OPERATOR_GRANT = "gateway:admin";

export type { ComponentApi } from "../component/_generated/component";
export type { SamlNodeActions } from "./routes";
export type { GatewayOptions } from "../session/options";

/** What `callbacks.afterUserCreatedOrUpdated` receives (an app internal mutation with these args). */
export type AfterUserCreatedOrUpdatedArgs = {
  userId: string;
  existingUser: boolean;
  groupId: string;
  source: "saml" | "oidc" | "scim" | "dev";
};

export type GatewayOptionsInput = z.input<typeof gatewayOptionsSchema>;

export interface SsoGatewayOptions extends GatewayOptionsInput {
  /** The issuer (public base URL). Default: GATEWAY_ISSUER or CONVEX_SITE_URL, plus the routes' pathPrefix. */
  issuer?: string;
  callbacks?: {
    /** An app mutation called inside the sign-in / SCIM transaction: it throws → the change rolls back. */
    afterUserCreatedOrUpdated?: FunctionReference<"mutation", "internal" | "public", AfterUserCreatedOrUpdatedArgs>;
  };
  /** The app's "use node" SAML actions (see README: a component cannot hold Node actions). */
  samlNodeActions?: SamlNodeActions;
  /**
   * Where the routes are mounted ("/auth" → /auth/sso/…, /auth/portal/…); it becomes part of the issuer. Give it
   * here rather than only to registerRoutes: functions outside http.ts (createSetupLink in an action) then build
   * the same URLs, since Convex loads http.ts only for HTTP requests.
   */
  pathPrefix?: string;
}

type RunCtx = { runQuery: (ref: any, args?: any) => Promise<any> };
type RunMutationCtx = RunCtx & { runMutation: (ref: any, args?: any) => Promise<any> };
type RunActionCtx = RunMutationCtx & { runAction: (ref: any, args?: any) => Promise<any> };

const callbackKeys = ["issuer", "callbacks", "samlNodeActions", "pathPrefix"] as const;

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

const normalizePrefix = (p: string | undefined) => (p ?? "").replace(/\/+$/, "");

export class SsoGateway {
  readonly options: GatewayOptions;
  private pathPrefix: string;

  constructor(
    readonly component: ComponentApi,
    private readonly config: SsoGatewayOptions = {},
  ) {
    const rest: Record<string, unknown> = { ...config };
    for (const k of callbackKeys) delete rest[k];
    // Options from the constructor win over GATEWAY_OPTIONS (the standalone deployment's env).
    const fromEnv = envFromProcess().options as Record<string, unknown>;
    const parsed = gatewayOptionsSchema.safeParse({ ...fromEnv, ...rest });
    if (!parsed.success) throw configErrorFrom(parsed.error);
    this.options = deepFreeze(parsed.data);
    this.pathPrefix = normalizePrefix(config.pathPrefix);
  }

  /** The env passed down to the component on every call (read per call: env changes apply without a redeploy). */
  async env(ctx?: unknown): Promise<GatewayEnv> {
    const fromProcess = envFromProcess();
    const issuer = (this.config.issuer ?? fromProcess.issuer).replace(/\/+$/, "") + this.pathPrefix;
    const env: GatewayEnv = { ...fromProcess, issuer, options: { ...(fromProcess.options as object), ...this.optionOverrides() } };
    const callback = this.config.callbacks?.afterUserCreatedOrUpdated;
    if (callback && ctx) env.callbacks = { afterUserCreatedOrUpdated: await createFunctionHandle(callback) };
    return env;
  }

  private optionOverrides() {
    const rest: Record<string, unknown> = { ...this.config };
    for (const k of callbackKeys) delete rest[k];
    return rest;
  }

  /** Mounts /.well-known/*, /sso/*, /oauth/*, /scim/v2/*, /events, /portal/* (under `pathPrefix`, which then is part of the issuer). */
  registerRoutes(http: HttpRouter, opts: { pathPrefix?: string } = {}) {
    if (opts.pathPrefix !== undefined) {
      const given = normalizePrefix(opts.pathPrefix);
      if (this.config.pathPrefix !== undefined && given !== this.pathPrefix) {
        throw new Error(`registerRoutes: pathPrefix "${opts.pathPrefix}" differs from the constructor's "${this.config.pathPrefix}"`);
      }
      this.pathPrefix = given;
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
