// The component's function builders. Each function takes the app's env as an optional `env` argument (see
// ./env.ts) and makes it current for the invocation; actions pass it on to the component functions they call.
//
// Visibility: a component's functions are never reachable by clients, only by the app that mounts it, and the
// app can only call a component's *public* functions. So every function here is registered public on the
// component; the `internal*` names keep their "called by the gateway's own code, never by end users" meaning
// and their `internal` typing inside the component (internal.* references), and the app reaches them through
// the typed ComponentApi (_generated/component.ts) wrapped by the SsoGateway class.
import {
  actionGeneric,
  mutationGeneric,
  queryGeneric,
  type ActionBuilder,
  type MutationBuilder,
  type QueryBuilder,
} from "convex/server";
import { v } from "convex/values";
import type { DataModel } from "../_generated/dataModel";
import { enterEnv, gatewayEnvValidator, type GatewayEnv } from "./env";

export { httpAction } from "../_generated/server";
export type { ActionCtx, MutationCtx, QueryCtx } from "../_generated/server";

type AnyDefinition = { args?: Record<string, unknown>; handler: (ctx: any, args: any) => unknown } & Record<string, unknown>;

function withEnv(register: (definition: any) => unknown, wrapCtx: (ctx: any, env: GatewayEnv | undefined) => any) {
  return (definition: AnyDefinition | AnyDefinition["handler"]) => {
    const { handler, args, ...rest } = typeof definition === "function" ? { handler: definition, args: undefined } : definition;
    return register({
      ...rest,
      ...(args === undefined ? {} : { args: { ...args, env: v.optional(gatewayEnvValidator) } }),
      handler: (ctx: any, allArgs: any) => {
        const { env, ...plain } = (allArgs ?? {}) as { env?: GatewayEnv };
        enterEnv(env);
        return handler(wrapCtx(ctx, env), plain);
      },
    });
  };
}

const sameCtx = (ctx: unknown) => ctx;

/**
 * Scheduled calls carry the env on too: a scheduled function runs later, in its own invocation, where nothing
 * else would make the app's env current (webhook delivery needs the options and the encryption key). The env
 * is then stored with the job's arguments, next to the deployment's env vars that hold the same values.
 * (Crons have no caller to take it from: they read the env of their isolate, or the defaults.)
 */
function schedulerWithEnv(scheduler: any, env: GatewayEnv) {
  return {
    ...scheduler,
    runAfter: (delayMs: number, ref: unknown, args?: Record<string, unknown>) => scheduler.runAfter(delayMs, ref, { ...args, env }),
    runAt: (at: number | Date, ref: unknown, args?: Record<string, unknown>) => scheduler.runAt(at, ref, { ...args, env }),
    cancel: (id: unknown) => scheduler.cancel(id),
  };
}

function mutationCtxWithEnv(ctx: any, env: GatewayEnv | undefined) {
  if (!env || !ctx.scheduler) return ctx;
  return { ...ctx, scheduler: schedulerWithEnv(ctx.scheduler, env) };
}

/** An action's calls into the component carry the env on (function handles into the app do not). */
function actionCtxWithEnv(ctx: any, env: GatewayEnv | undefined) {
  if (!env) return ctx;
  ctx = mutationCtxWithEnv(ctx, env);
  const pass = (run: (ref: unknown, args?: unknown) => unknown) => (ref: unknown, args?: Record<string, unknown>) =>
    typeof ref === "string" ? run(ref, args) : run(ref, { ...args, env });
  return {
    ...ctx,
    runQuery: pass(ctx.runQuery.bind(ctx)),
    runMutation: pass(ctx.runMutation.bind(ctx)),
    runAction: pass(ctx.runAction.bind(ctx)),
  };
}

export const query = withEnv(queryGeneric, sameCtx) as QueryBuilder<DataModel, "public">;
export const mutation = withEnv(mutationGeneric, mutationCtxWithEnv) as MutationBuilder<DataModel, "public">;
export const action = withEnv(actionGeneric, actionCtxWithEnv) as ActionBuilder<DataModel, "public">;
export const internalQuery = withEnv(queryGeneric, sameCtx) as QueryBuilder<DataModel, "internal">;
export const internalMutation = withEnv(mutationGeneric, mutationCtxWithEnv) as MutationBuilder<DataModel, "internal">;
export const internalAction = withEnv(actionGeneric, actionCtxWithEnv) as ActionBuilder<DataModel, "internal">;
