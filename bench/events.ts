// Events bench (issue #12): events delivered per second end to end through the local gateway (record in a
// mutation → scheduled action → signed POST to a receiver on 127.0.0.1 that verifies with the Standard
// Webhooks library → acknowledgement recorded), next to the rate of the recording mutations alone; and the
// cost per event: function calls, documents written and read (convex-test's transaction metrics).
// Caveat: convex-test is a single-process in-memory engine that runs one function at a time; a deployment
// runs lanes (groups) in parallel and its numbers differ. The per-event counts carry over; the rates do not.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
import { convexTest } from "convex-test";
import { internal } from "../src/component/_generated/api";
import { logEvent } from "../src/component/signin";
import { engineModules } from "../local/engine";
import { asComponent, register } from "../src/test";
import { startLocalGateway } from "../local/gateway";
import { startReceiver } from "../test/events/receiver";
import { fmt, printTable, type Row } from "./harness";

const here = dirname(fileURLToPath(import.meta.url));
const SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA==";
const N = 300;
const GROUPS = 4;

async function endToEnd(): Promise<Row[]> {
  const receiver = await startReceiver(SECRET);
  const dir = mkdtempSync(join(tmpdir(), "bench-events-"));
  const demo = JSON.parse(readFileSync(join(here, "../local/demo.config.json"), "utf8"));
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify({ options: demo.options, groups: demo.groups, apps: demo.apps, webhooks: [{ url: receiver.url, secret: SECRET }] }));
  const gw = await startLocalGateway({ port: 0, configPath, dataDir: dir, quiet: true });
  const mutation = (fn: string, args: unknown) => gw.engine.mutation(makeFunctionReference<"mutation">(fn), args as never);
  const groupIds: string[] = [];
  for (let g = 0; g < GROUPS; g++) groupIds.push((await mutation("admin/groups:create", { slug: `bench-${g}`, name: `Bench ${g}` })) as string);
  // The seeded endpoint hears everything recorded so far (the demo group and app, the bench groups).
  const already = (await gw.engine.run((ctx) => ctx.db.query("events").collect())).length;
  await receiver.waitFor(already);

  const start = performance.now();
  for (let i = 0; i < N; i++) await mutation("admin/groups:update", { groupId: groupIds[i % GROUPS], name: `Bench ${i}` });
  const recorded = performance.now();
  await receiver.waitFor(already + N, 120_000);
  const delivered = performance.now();
  const attemptsPerEvent = receiver.attempts / receiver.processed.length;
  await gw.close();
  await receiver.close();
  return [
    { measure: `record ${N} events (mutations incl. enqueue), ${GROUPS} groups`, "events/s": fmt((N * 1000) / (recorded - start)), "ms/event": fmt((recorded - start) / N) },
    { measure: `recorded → delivered, signed, verified, acknowledged (end to end)`, "events/s": fmt((N * 1000) / (delivered - start)), "ms/event": fmt((delivered - start) / N) },
    { measure: "POST attempts per event (receiver always up)", "events/s": "", "ms/event": "", value: fmt(attemptsPerEvent) },
  ];
}

type Metrics = { documentsWritten: { used: number }; documentsRead: { used: number }; functionsScheduled: { used: number } };

async function perEvent(): Promise<Row[]> {
  process.env.GATEWAY_LOCAL = "1";
  const modules = engineModules();
  const app = convexTest({ modules: modules.app, transactionLimits: true });
  register(app, "ssoGateway", modules.component);
  const t = asComponent(app);
  const { groupIds } = await t.mutation(internal.admin.seed.apply, { groups: [{ slug: "acme", name: "Acme", policy: { defaultRole: "member" } }], apps: [] });
  const groupId = groupIds.acme!;
  const measure = async (label: string, fn: (ctx: any) => Promise<unknown>): Promise<Row> => {
    const m = (await t.run(async (ctx) => {
      await fn(ctx);
      return (ctx as any).meta.getTransactionMetrics();
    })) as Metrics;
    return { step: label, "documents written": m.documentsWritten.used, "documents read": m.documentsRead.used, "functions scheduled": m.functionsScheduled.used };
  };
  const rows: Row[] = [];
  rows.push(await measure("record an event, no endpoint", (ctx) => logEvent(ctx, "group.updated", groupId, {})));
  await t.mutation(internal.events.webhooks.create, { url: "http://127.0.0.1:9/hooks", secret: SECRET });
  rows.push(await measure("record an event, 1 endpoint (lane idle)", (ctx) => logEvent(ctx, "group.updated", groupId, {})));
  rows.push(await measure("record an event, 1 endpoint (lane busy)", (ctx) => logEvent(ctx, "group.updated", groupId, {})));
  const head = await t.run((ctx) => ctx.db.query("webhookDeliveries").first());
  rows.push(await measure("attempt: load (query)", (ctx) => ctx.runQuery(internal.events.delivery.loadAttempt, { deliveryId: head!._id })));
  rows.push(await measure("attempt: record success (mutation, schedules next head)", (ctx) => ctx.runMutation(internal.events.delivery.recordAttempt, { deliveryId: head!._id, attempt: 0, ok: true })));
  rows.push({ step: "function calls per delivered event: 1 recording mutation (the change itself) + 1 action + 1 query + 1 mutation per attempt" });
  return rows;
}

export async function benchEvents(): Promise<Row[]> {
  printTable("Events: webhook delivery through the local gateway", await endToEnd());
  printTable("Events: cost per event (convex-test transaction metrics)", await perEvent());
  return [];
}
