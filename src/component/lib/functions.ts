// The component's function builders. Each function takes the app's env as an optional `env` argument (see
// ./env.ts); every invocation makes its own env current before the handler runs: the one it was called with,
// or — for a cron or a scheduled job, which nobody calls with one — the env the app's env query returns
// (./settings.ts). Never the env of an earlier invocation in the same isolate. Calls into the component's own
// functions pass the env on; scheduled calls do not (their arguments are stored: no keys in them).
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
import { fetchEnv, recordEnvHandle } from "./settings";

export { httpAction } from "../_generated/server";
export type { ActionCtx, MutationCtx, QueryCtx } from "../_generated/server";

type AnyDefinition = { args?: Record<string, unknown>; handler: (ctx: any, args: any) => unknown } & Record<string, unknown>;
type Kind = "query" | "mutation" | "action";

function withEnv(register: (definition: any) => unknown, kind: Kind) {
  return (definition: AnyDefinition | AnyDefinition["handler"]) => {
    const { handler, args, ...rest } = typeof definition === "function" ? { handler: definition, args: undefined } : definition;
    return register({
      ...rest,
      ...(args === undefined ? {} : { args: { ...args, env: v.optional(gatewayEnvValidator) } }),
      handler: async (ctx: any, allArgs: any) => {
        const { env: passed, ...plain } = (allArgs ?? {}) as { env?: GatewayEnv };
        const env = passed ?? (await fetchEnv(ctx));
        if (passed && kind === "mutation") await recordEnvHandle(ctx, passed.envHandle);
        enterEnv(env);
        return handler(ctxPassingEnv(ctx, env), plain);
      },
    });
  };
}

/** Calls into the component's own functions carry the invocation's env (function handles into the app do not). */
function ctxPassingEnv(ctx: any, env: GatewayEnv) {
  const pass = (run: (ref: unknown, args?: unknown) => unknown) => (ref: unknown, args?: Record<string, unknown>) =>
    typeof ref === "string" ? run(ref, args) : run(ref, { ...args, env });
  const wrapped = { ...ctx };
  for (const name of ["runQuery", "runMutation", "runAction"] as const) {
    if (typeof ctx[name] === "function") wrapped[name] = pass(ctx[name].bind(ctx));
  }
  return wrapped;
}

export const query = withEnv(queryGeneric, "query") as QueryBuilder<DataModel, "public">;
export const mutation = withEnv(mutationGeneric, "mutation") as MutationBuilder<DataModel, "public">;
export const action = withEnv(actionGeneric, "action") as ActionBuilder<DataModel, "public">;
export const internalQuery = withEnv(queryGeneric, "query") as QueryBuilder<DataModel, "internal">;
export const internalMutation = withEnv(mutationGeneric, "mutation") as MutationBuilder<DataModel, "internal">;
export const internalAction = withEnv(actionGeneric, "action") as ActionBuilder<DataModel, "internal">;
