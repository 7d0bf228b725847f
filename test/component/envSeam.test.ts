// Issue 10, the env seam: a component sees no process.env, so the app passes its env on every call — and crons and
// scheduled jobs, which nobody calls, fetch it from the app's env query (`gateway.envQuery()`) through the handle
// the component recorded. Driven through the embedded app (test/component/app): its options set a non-default
// trace and event retention, which only the app's env carries.
/// <reference types="vite/client" />
import { makeFunctionReference } from "convex/server";
import { jsonToConvex } from "convex/values";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { embeddedApp, type EmbeddedApp } from "./embeddedApp";
import { components } from "./app/_generated/api";
import crons from "../../src/component/crons";
import { internal } from "../../src/component/_generated/api";
import { enterEnv, type GatewayEnv } from "../../src/component/lib/env";
import { signingKeys } from "../../src/component/lib/keys";
import { mintSessionJwt } from "../../src/session/tokens";
import { appEnv, type GatewayTest } from "../../src/test";
import { APP, pkcePair, seedGroupAndApp } from "../helpers";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let app: EmbeddedApp;
let gw: GatewayTest;

beforeEach(() => {
  ({ app, gw } = embeddedApp());
});
afterEach(() => vi.restoreAllMocks());

/** Runs a cron as the scheduler does: the function and arguments crons.ts registered, and no env. */
async function runCron(identifier: string) {
  const job = (crons as unknown as { crons: Record<string, { name: string; args: unknown[] }> }).crons[identifier];
  if (!job) throw new Error(`no cron named ${identifier}`);
  const [modulePath, exportName] = job.name.split(":") as [string, string];
  let ref: any = components.ssoGateway;
  for (const part of [...modulePath.split("/"), exportName]) ref = ref[part];
  return app.mutation(ref, jsonToConvex(job.args[0] as never) as never);
}

async function addTraces(ages: Record<string, number>) {
  const now = Date.now();
  await gw.run(async (ctx) => {
    for (const [ref, age] of Object.entries(ages)) await ctx.db.insert("ssoTraces", { ref, protocol: "oauth", code: "test", detail: "", at: now - age });
  });
}
const traceRefs = () => gw.run(async (ctx) => (await ctx.db.query("ssoTraces").collect()).map((t) => t.ref).sort());

describe("crons run with the app's env, fetched through the recorded env query", () => {
  it("the hourly sweep (no env argument) applies the app's traces.retentionMs, not the default 30 days", async () => {
    await seedGroupAndApp(gw); // any call from the app records its env query's handle
    await addTraces({ fresh: 1 * HOUR, old: 3 * HOUR, ancient: 40 * DAY });
    await runCron("sweep expired sign-in rows");
    expect(await traceRefs()).toEqual(["fresh"]); // the app's retention is 2 hours
  });

  it("the events retention sweep applies the app's events.retentionDays", async () => {
    await seedGroupAndApp(gw); // records the handle, and writes group.created / app.created events (now)
    const now = Date.now();
    await gw.run(async (ctx) => {
      for (const age of [8 * DAY, 30 * DAY]) await ctx.db.insert("events", { type: "test.old", data: {}, at: now - age });
    });
    const before = await gw.run(async (ctx) => (await ctx.db.query("events").collect()).length);
    await runCron("events retention sweep");
    const after = await gw.run(async (ctx) => (await ctx.db.query("events").collect()).map((e) => e.type));
    expect(after).toHaveLength(before - 2); // both are older than the app's 7 days (the default keeps 365)
    expect(after).not.toContain("test.old");
  });

  it("a job after an invocation with another env does not inherit it", async () => {
    await seedGroupAndApp(gw);
    await addTraces({ ninetyMinutes: 1.5 * HOUR });
    // An invocation with a different env (one hour of trace retention) in the same process, just before the job.
    const stale: GatewayEnv = { issuer: "https://stale.example", options: { traces: { retentionMs: 1 * HOUR } } };
    await app.query(components.ssoGateway.admin.groups.list, { env: stale } as never);
    await runCron("sweep expired sign-in rows");
    expect(await traceRefs()).toEqual(["ninetyMinutes"]); // the app's 2 hours, not the stale 1 hour
  });

  it("before any call recorded the handle, a cron runs with the defaults and says so once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await addTraces({ old: 3 * HOUR, ancient: 40 * DAY });
    await runCron("sweep expired sign-in rows");
    await runCron("sweep expired sign-in rows");
    expect(await traceRefs()).toEqual(["old"]); // the default retention (30 days)
    const said = warn.mock.calls.flat().join("\n");
    expect(said).toMatch(/before the app's env query was recorded/);
    expect(said.match(/before the app's env query was recorded/g)!.length).toBeLessThanOrEqual(1);
  });

  it("the handle is recorded once and rewritten only when it changes", async () => {
    await seedGroupAndApp(gw);
    await seedGroupAndApp(gw, "globex");
    const rows = await gw.run((ctx) => ctx.db.query("gatewaySettings").collect());
    expect(rows).toEqual([expect.objectContaining({ name: "envHandle", value: (await appEnv(app)).envHandle })]);
    const createdAt = rows[0]!._creationTime;
    const moved: GatewayEnv = { ...(await appEnv(app)), envHandle: "function://;gateway:renamedEnv" };
    await app.mutation(components.ssoGateway.admin.groups.create, { slug: "initech", name: "Initech", domains: [], policy: { defaultRole: "member" }, env: moved } as never);
    const after = await gw.run((ctx) => ctx.db.query("gatewaySettings").collect());
    expect(after).toEqual([expect.objectContaining({ _creationTime: createdAt, value: "function://;gateway:renamedEnv" })]);
  });
});

describe("scheduled jobs carry no env", () => {
  it("a continuation's stored arguments hold neither the env nor a key, and it runs with the app's env", async () => {
    vi.useFakeTimers();
    try {
      await seedGroupAndApp(gw);
      const env = await appEnv(app);
      expect(env.encryptionKey && env.signingKeys).toBeTruthy();
      await addTraces({ a: 3 * HOUR, b: 4 * HOUR, c: 5 * HOUR });
      // One row per batch: the sweep schedules its own continuation (what a backlog makes the cron do).
      await gw.mutation(internal.maintenance.sweep, { limit: 1, chain: true });
      const jobs = await gw.run((ctx) => ctx.db.system.query("_scheduled_functions").collect());
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.args).toEqual([{ limit: 1, chain: true }]);
      const stored = JSON.stringify(jobs);
      for (const secret of [env.encryptionKey!, JSON.parse(env.signingKeys!).keys[0].d as string, "envHandle", '"env"']) expect(stored).not.toContain(secret);
      await app.finishAllScheduledFunctions(vi.runAllTimers);
      expect(await traceRefs()).toEqual([]); // the continuations swept with the app's 2-hour retention
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("signing keys come with the env", () => {
  const saved = process.env.GATEWAY_SIGNING_KEYS!;
  afterEach(() => {
    process.env.GATEWAY_SIGNING_KEYS = saved;
  });

  it("mints a token with GATEWAY_SIGNING_KEYS gone from process.env but present in the passed env", async () => {
    const env: GatewayEnv = { issuer: "https://gw.example.test", signingKeys: saved };
    delete process.env.GATEWAY_SIGNING_KEYS;
    enterEnv(env);
    const jwt = await mintSessionJwt(await signingKeys(), { sub: "user-1", sid: "s-1" } as never, { issuer: env.issuer, audience: "convex", durationMs: 60_000, now: Date.now() } as never);
    expect(jwt.split(".")).toHaveLength(3);
  });

  it("and never from process.env: an env without them refuses, whatever the process has", () => {
    process.env.GATEWAY_SIGNING_KEYS = saved;
    enterEnv({ issuer: "https://gw.example.test" });
    expect(() => signingKeys()).toThrow(/GATEWAY_SIGNING_KEYS is not set/);
  });
});

describe("SsoGateway refuses to start without its env query", () => {
  it("names the option and the line to add", async () => {
    const { SsoGateway } = await import("../../src/gateway");
    expect(() => new SsoGateway(components.ssoGateway, {} as never)).toThrow(
      expect.objectContaining({ name: "ConfigError", path: "envQuery", message: expect.stringMatching(/export const ssoEnv = gateway\.envQuery\(\)/) }),
    );
  });
});

describe("/sso/authorize: a disabled group refuses, however the group is named", () => {
  it("by connection, by group slug and by login_hint alike", async () => {
    const groupId = await seedGroupAndApp(gw);
    const { connectionId } = (await gw.action(internal.oidc.admin.saveConnection, {
      groupId,
      name: "Okta",
      config: { issuer: "https://acme.okta.example", clientId: "abc", clientSecret: "s3cret-value", scopes: ["openid", "email"] },
    })) as { connectionId: string };
    await gw.mutation(internal.admin.groups.setStatus, { groupId, status: "disabled" });
    const { challenge } = await pkcePair();
    const picks: Array<Record<string, string>> = [{ connection: connectionId }, { group: "acme" }, { login_hint: "ada@acme.example" }];
    for (const pick of picks) {
      const q = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, code_challenge: challenge, code_challenge_method: "S256", state: "s", ...pick });
      const res = await app.fetch(`/sso/authorize?${q}`, { redirect: "manual" });
      expect([pick, res.status]).toEqual([pick, 302]);
      const location = new URL(res.headers.get("location")!);
      expect([pick, location.searchParams.get("error")]).toEqual([pick, "access_denied"]);
    }
  });
});

// Keeps the reference of the env query the README tells apps to export honest.
it("the embedded app's env query is internal and returns the app's options", async () => {
  const env = await app.query(makeFunctionReference<"query">("gateway:ssoEnv"), {});
  expect(env).toMatchObject({ issuer: "https://gw.example.test", options: { traces: { retentionMs: 2 * HOUR }, events: { retentionDays: 7 } } });
});
