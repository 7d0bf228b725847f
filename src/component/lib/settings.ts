// Where an invocation nobody called with an env (a cron, a scheduled job) gets it: the app's env query.
//
// Every call from the app carries its env, and in it the function handle of the app's env query
// (SsoGateway `envQuery`, see src/gateway/index.ts). The first mutation that sees a handle different from the one
// recorded records it (one indexed read per mutation that carries an env, a write only when the handle changes).
// An env-less invocation reads the handle and calls the app's query for the env: the encryption key and the
// signing keys stay in the app's environment and never sit in a scheduled job's stored arguments.
import { makeFunctionReference, queryGeneric, type GenericActionCtx, type GenericMutationCtx, type GenericQueryCtx, type FunctionHandle } from "convex/server";
import { v } from "convex/values";
import type { DataModel } from "../_generated/dataModel";
import { DEFAULT_ENV, type GatewayEnv } from "./env";

type DbCtx = GenericQueryCtx<DataModel> | GenericMutationCtx<DataModel>;

function envHandleRow(ctx: DbCtx) {
  return ctx.db
    .query("gatewaySettings")
    .withIndex("by_name", (q) => q.eq("name", "envHandle"))
    .unique();
}

async function recordedHandle(ctx: DbCtx): Promise<string | null> {
  return (await envHandleRow(ctx))?.value ?? null;
}

/**
 * The recorded handle, for actions (which cannot read tables). Registered with the plain builder: it must not
 * itself go through the env resolution of ./functions.ts, which calls it.
 */
export const envHandle = queryGeneric({
  args: {},
  returns: v.union(v.string(), v.null()),
  handler: (ctx) => recordedHandle(ctx as unknown as GenericQueryCtx<DataModel>),
});
const envHandleRef = makeFunctionReference<"query", Record<string, never>, string | null>("lib/settings:envHandle");

/** Records the app's env query handle when it differs from the recorded one (called by every mutation given an env). */
export async function recordEnvHandle(ctx: GenericMutationCtx<DataModel>, handle: string | undefined): Promise<void> {
  if (!handle) return;
  const row = await envHandleRow(ctx);
  if (row?.value === handle) return;
  if (row) await ctx.db.patch(row._id, { value: handle });
  else await ctx.db.insert("gatewaySettings", { name: "envHandle", value: handle });
}

let defaultsLogged = false;

/**
 * The env of an invocation called without one: fetched from the app's env query through the recorded handle, or
 * — on a fresh deployment, before any call from the app recorded it — the defaults, said once per isolate.
 */
export async function fetchEnv(ctx: DbCtx | GenericActionCtx<DataModel>): Promise<GatewayEnv> {
  const handle = "db" in ctx ? await recordedHandle(ctx) : ((await ctx.runQuery(envHandleRef, {})) as string | null);
  if (handle) return (await ctx.runQuery(handle as FunctionHandle<"query", Record<string, never>, GatewayEnv>, {})) as GatewayEnv;
  if (!defaultsLogged) {
    defaultsLogged = true;
    console.warn(
      "convex-sso-gateway: a job ran before the app's env query was recorded (no call from the app yet): it runs with the default options, no issuer and no keys",
    );
  }
  return DEFAULT_ENV;
}
