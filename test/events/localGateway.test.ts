// Done-when of issue #12, over real HTTP: a SCIM deactivation in the local gateway reaches a webhook receiver
// on 127.0.0.1 as a signed `user.deactivated` (verified with the Standard Webhooks library) and appears in
// GET /events — in order, exactly once after dedupe by webhook-id — although the gateway is SIGKILLed while
// the receiver is down and a delivery backlog is queued, then restarted.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";
import { inOrderPerGroup, startReceiver, type Receiver } from "./receiver";

const ROOT = resolve(__dirname, "../..");
const SECRET = "whsec_C2FtcGxlLXNlY3JldC1mb3ItdGVzdHMtb25seQ==";
const API_KEY = "evk_local-test-key-not-secret-000000";
const SCIM_TOKEN = "scim-events-test-token-0000000";

const children: ChildProcess[] = [];
let receiver: Receiver | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await receiver?.close();
});

function writeConfig(dir: string, webhookUrl: string): string {
  const demo = JSON.parse(readFileSync(join(ROOT, "local/demo.config.json"), "utf8"));
  const config = {
    // The retry clock of this gateway: short delays, many attempts (a deployment waits ~3 days in total).
    options: { ...demo.options, events: { webhookRetryScheduleMs: Array(30).fill(200), webhookTimeoutMs: 2000 } },
    groups: demo.groups,
    apps: demo.apps,
    scim: [{ groupSlug: "demo", directoryId: "demo", name: "Demo directory", token: SCIM_TOKEN }],
    webhooks: [{ url: webhookUrl, secret: SECRET }],
    apiKeys: [{ name: "test app", key: API_KEY }],
  };
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** `npm start` as a child process (so it can be SIGKILLed); resolves with its URL once it listens. */
function startGateway(configPath: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/gateway.ts", "--port", "0", "--config", configPath, "--data", dataDir], {
    cwd: ROOT,
    env: { ...process.env, GATEWAY_SIGNING_KEYS: "", GATEWAY_ENCRYPTION_KEY: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /Local gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok({ url: m[1]!, child });
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => fail(new Error(`gateway exited (${code}): ${err.slice(-2000)}`)));
  });
}

async function scim(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/scim/v2/demo${path}`, {
    method,
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, "content-type": "application/scim+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function pullAll(url: string, key = API_KEY) {
  const events: Array<{ id: string; type: string; cursor: string; group: string | null }> = [];
  let after = "0";
  for (;;) {
    const res = await fetch(`${url}/events?after=${after}&limit=3`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const page = await res.json();
    events.push(...page.data);
    after = page.next_cursor;
    if (!page.has_more) return events;
  }
}

/** Until the gateway's data directory holds `needle` (it saves at most ~250 ms after a change). */
async function persisted(dataDir: string, needle: string) {
  for (let i = 0; i < 200; i++) {
    for (const f of readdirSync(dataDir)) {
      try {
        if (readFileSync(join(dataDir, f), "utf8").includes(needle)) return;
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never persisted: ${needle}`);
}

test("SCIM deactivation → signed user.deactivated webhook and GET /events, in order, across a SIGKILL", async () => {
  receiver = await startReceiver(SECRET, { failFirst: Infinity }); // down until we say so
  const dataDir = mkdtempSync(join(tmpdir(), "gw-events-"));
  const configPath = writeConfig(dataDir, receiver.url);
  let gw = await startGateway(configPath, dataDir);

  const userIds: string[] = [];
  for (const name of ["ada", "grace", "barbara"]) {
    const created = await scim(gw.url, "POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: `${name}@demo.example`,
      emails: [{ value: `${name}@demo.example`, primary: true }],
      active: true,
    });
    expect(created.status).toBe(201);
    userIds.push(created.body.id);
  }
  const off = await scim(gw.url, "PATCH", `/Users/${userIds[1]}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "replace", path: "active", value: false }],
  });
  expect(off.status).toBe(200);

  const before = await pullAll(gw.url);
  const deactivated = before.find((e) => e.type === "user.deactivated");
  expect(deactivated).toBeDefined();
  await persisted(dataDir, deactivated!.id);
  expect(receiver.processed).toHaveLength(0); // the backlog: everything queued, nothing acknowledged

  gw.child.kill("SIGKILL");
  await new Promise((r) => gw.child.once("exit", r));
  receiver.failFirst = receiver.attempts + 2; // two more failures after the restart, then up

  gw = await startGateway(configPath, dataDir);
  const after = await pullAll(gw.url); // the pull cursor survived the crash: nothing lost, nothing repeated
  expect(after.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
  // What every start records: the seed re-applied, then the setup-portal link and the operator link it prints.
  expect(after.slice(before.length).map((e) => e.type)).toEqual(["group.updated", "portal.link.created", "operator.link.created"]);
  await receiver.waitFor(after.length);
  expect(receiver.badSignatures).toBe(0);
  expect(receiver.processed.map((e) => e.id).sort()).toEqual(after.map((e) => e.id).sort()); // exactly once
  expect(inOrderPerGroup(receiver.processed)).toBe(true);
  const got = receiver.processed.find((e) => e.type === "user.deactivated")!;
  expect(got).toMatchObject({ id: deactivated!.id, data: { reason: "scim_deprovisioned", membershipRemoved: false } });

  // Bad API keys: 401, and the log is unchanged.
  for (const auth of ["Bearer evk_wrong-key-0000000000000000000", "Bearer", ""]) {
    const res = await fetch(`${gw.url}/events`, { headers: auth ? { authorization: auth } : {} });
    expect(res.status).toBe(401);
  }
  expect((await pullAll(gw.url)).length).toBe(after.length);
}, 120_000);
