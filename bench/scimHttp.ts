// SCIM over real HTTP through the local gateway (issue 13): server CPU per request of the Okta + Entra request
// mix at 1k and 100k users, beside SCIMMY in this process (the harness of bench/scim.ts), plus a short churn run
// (CPU per round must stay flat) and function calls / documents read and written per SCIM operation.
//
// How: the data directory is prepared in this process (startLocalGateway seeds the demo group and directory, then
// test/scim/seed.ts adds n users, then close() writes the snapshot); `npm start`'s process (local/gateway.ts) is
// then spawned on it, driven over HTTP, and its CPU read from /proc/<pid>/stat (user + system) before and after.
// SCIMMY's CPU is process.cpuUsage() around the same sequences run in-process (no HTTP: its cost is a floor).
// SCIM_BENCH_PROFILE=1 profiles the gateway process during the measured requests (bench/cpuProfileOnSignal.ts)
// and prints where its CPU time goes.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalGateway } from "../local/gateway";
import { entraSequence, oktaSequence, type Check, type ScimClient } from "../fixtures/scim/sequences";
import { seedUsers } from "../test/scim/seed";
import type { Row } from "./harness";

const TICK_US = 1e6 / 100; // /proc/<pid>/stat counts CPU in clock ticks (USER_HZ = 100 on Linux)

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime (fields 14, 15 of stat)
}

async function prepare(n: number, port: number) {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-scim-${n}-`));
  const gw = await startLocalGateway({ port, dataDir, quiet: true });
  const directoryId = await gw.engine.run(async (ctx) => (await ctx.db.query("scimDirectories").first())!._id);
  await seedUsers(gw.engine as any, directoryId, n);
  const { baseUrl, token } = gw.scim[0]!;
  await gw.close();
  return { dataDir, baseUrl, token };
}

async function spawnGateway(dataDir: string, port: number, profileFile?: string): Promise<ChildProcess> {
  const args = ["--import", "tsx", ...(profileFile ? ["--import", "./bench/cpuProfileOnSignal.ts"] : []), "local/gateway.ts", "--port", String(port), "--data", dataDir];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...(profileFile ? { BENCH_CPU_PROFILE: profileFile } : {}) } });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway did not start: ${out}`)), 180_000);
    child.on("exit", (c) => fail(new Error(`gateway exited ${c}: ${out}`)));
    child.stdout!.on("data", () => /Local gateway on/.test(out) && (clearTimeout(timer), ok()));
  });
  return child;
}

function httpClient(baseUrl: string, token: string): ScimClient {
  return async (method, path, body, headers) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/scim+json" } : {}), ...(headers ?? {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}

async function mix(client: ScimClient, from: number, rounds: number) {
  let requests = 0;
  let failed = 0;
  const check: Check = (ok) => void (ok || failed++);
  for (let i = from; i < from + rounds; i++) {
    requests += (await oktaSequence(client, check, i)).requests;
    requests += (await entraSequence(client, check, i)).requests;
  }
  return { requests, failed };
}

/** CPU µs per request of the gateway process over `rounds` rounds of the mix, per block of rounds. */
async function measureGateway(n: number, rounds: number, blocks: number, profile: boolean) {
  const port = await freePort();
  const { dataDir, baseUrl, token } = await prepare(n, port);
  const profileFile = profile ? join(mkdtempSync(join(tmpdir(), "bench-scim-prof-")), "gateway.cpuprofile") : undefined;
  const child = await spawnGateway(dataDir, port, profileFile);
  try {
    const client = httpClient(baseUrl, token);
    await mix(client, 1_000_000, 2); // warm-up (JIT, module loads, index build)
    const perBlock: number[] = [];
    let failed = 0;
    for (let b = 0; b < blocks; b++) {
      const before = cpuMicros(child.pid!);
      const r = await mix(client, 2_000_000 + b * rounds, rounds);
      perBlock.push((cpuMicros(child.pid!) - before) / r.requests);
      failed += r.failed;
    }
    if (profileFile) {
      // One more block under the profiler, after the measured ones (the profiler's own cost is not measured).
      child.kill("SIGUSR2");
      await mix(client, 5_000_000, rounds);
      child.kill("SIGUSR2");
      for (let i = 0; i < 100 && !existsSync(profileFile); i++) await new Promise((r) => setTimeout(r, 100));
    }
    return { perBlock, failed, profileFile };
  } finally {
    await new Promise((ok) => (child.once("exit", ok), child.kill("SIGTERM")));
  }
}

async function measureScimmy(client: ScimClient, rounds: number) {
  await mix(client, 3_000_000, 2);
  const before = process.cpuUsage();
  const r = await mix(client, 4_000_000, rounds);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / r.requests;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Self time by area of the gateway's CPU profile (written on SIGTERM). */
export function profileSummary(file: string): Row[] {
  if (!existsSync(file)) return [];
  const p = JSON.parse(readFileSync(file, "utf8")) as { nodes: Array<{ id: number; callFrame: { url: string; functionName: string }; children?: number[] }>; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // A native frame (no URL: socket writes, JSON, fsync…) counts for the nearest caller that has one.
  const withUrl = (id: number) => {
    let at: number | undefined = id;
    while (at !== undefined && !byId.get(at)!.url) at = parent.get(at);
    return at === undefined ? byId.get(id)! : byId.get(at)!;
  };
  const areas = new Map<string, number>();
  const area = (url: string, fn: string) => {
    if (!url) return fn.startsWith("(") ? fn : "(native)";
    if (url.includes("convex-test")) return "convex-test engine";
    if (url.includes("indexedReads")) return "local/indexedReads (index seeks)";
    if (url.includes("sorted-btree")) return "sorted-btree";
    if (url.includes("node_modules/convex/")) return "convex runtime (values, validators, syscalls)";
    if (url.includes("/local/")) return "local gateway (HTTP glue, store)";
    if (url.includes("/convex/") || url.includes("/src/")) return "our code (convex/, src/)";
    if (url.startsWith("node:inspector")) return "profiler itself";
    if (url.startsWith("node:fs")) return "node fs (journal append + fdatasync)";
    if (url.startsWith("node:")) return "node internals (http server, streams, timers)";
    if (url.includes("node_modules/")) return `other: ${url.split("node_modules/")[1]!.split("/")[0]}`;
    return "other";
  };
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!;
    if (cf.functionName === "(idle)") return; // waiting for the next request is not CPU
    const named = cf.functionName.startsWith("(") ? cf : withUrl(id);
    const a = area(named.url, named.functionName);
    const d = p.timeDeltas[i] ?? 0;
    areas.set(a, (areas.get(a) ?? 0) + d);
    total += d;
  });
  return [...areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([a, us]) => ({ bench: "scim profile (1k, gateway process)", area: a, "% of samples": Number(((100 * us) / total).toFixed(1)) }));
}

export async function benchScimHttp(scimmy: ScimClient): Promise<Row[]> {
  const rows: Row[] = [];
  const rounds = Number(process.env.SCIM_BENCH_HTTP_ROUNDS ?? 10);
  const blocks = Number(process.env.SCIM_BENCH_CHURN_BLOCKS ?? 4);
  const sizes = (process.env.SCIM_BENCH_SIZES ?? "1000,100000").split(",").map(Number);
  const profile = process.env.SCIM_BENCH_PROFILE === "1";
  const scimmyUs = await measureScimmy(scimmy, rounds);
  const ours = new Map<number, number>();
  for (const n of sizes) {
    const r = await measureGateway(n, rounds, n === sizes[0] ? blocks : 3, profile && n === sizes[0]);
    const us = median(r.perBlock);
    ours.set(n, us);
    rows.push({
      bench: "scim over HTTP", case: "Okta + Entra mix", users: n, "gateway CPU µs/req": Math.round(us),
      "SCIMMY CPU µs/req (in-process)": Math.round(scimmyUs), "gateway / SCIMMY": Number((us / scimmyUs).toFixed(2)),
      [`vs ${sizes[0]} users`]: Number((us / ours.get(sizes[0]!)!).toFixed(2)),
      "per block of rounds (churn)": r.perBlock.map((x) => Math.round(x)).join(" / "), "checks failed": r.failed,
    });
    if (r.profileFile) rows.push(...profileSummary(r.profileFile));
  }
  return rows;
}
