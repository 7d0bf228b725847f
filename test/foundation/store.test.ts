// Persistence of the local gateway (local/store.ts): snapshot + append-only journal.
// 1. Crash: `npm start`'s process is SIGKILLed in the middle of a SCIM burst; on restart the state loads and
//    every write acknowledged more than one flush interval before the kill is there; a torn last journal line
//    is tolerated; state files are mode 0600.
// 2. Compaction round trip in-process: after many small transactions, compaction and a restart, the documents
//    and the document counter are the same (a deleted last ID is not handed out again).
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { createEngine } from "../../local/engine";
import { openStore } from "../../local/store";

const FLUSH_MS = 250; // local/store.ts default, used by the gateway

// The restart reuses the port: the local SAML IdP's metadata carries the URL (a restart on another port fails
// the SAML plug-in's seeding before and after this change — a separate issue).
function startProcess(dir: string, port = 0) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/gateway.ts", "--port", String(port), "--data", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const ready = new Promise<{ url: string; scimBase: string; token: string; restored: number }>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no banner: ${out}`)), 45_000);
    child.on("exit", (code) => fail(new Error(`exited ${code}: ${out}`)));
    child.stdout.on("data", () => {
      const banner = /Local gateway on (http:\/\/\S+)\s+\(restored (\d+) documents/.exec(out);
      const scim = /SCIM directory\s+(\S+)\s+\(Bearer (\S+)\)/.exec(out);
      if (banner && scim) {
        clearTimeout(timer);
        ok({ url: banner[1]!, restored: Number(banner[2]), scimBase: scim[1]!, token: scim[2]! });
      }
    });
  });
  return { child, ready };
}

async function scim(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const user = (i: number) => ({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `crash${i}@demo.example`, active: true });

test("kill -9 in the middle of a SCIM burst loses at most the last flush interval and the state loads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gw-crash-"));
  const first = startProcess(dir);
  const { scimBase, token, url } = await first.ready;

  // Four clients create users until the kill; each acknowledged id is stamped with its time.
  const acked: Array<{ id: string; at: number }> = [];
  let stop = false;
  let next = 0;
  const client = async () => {
    while (!stop) {
      const r = await scim(scimBase, token, "POST", "/Users", user(next++)).catch(() => null);
      if (r?.status === 201) acked.push({ id: r.body.id, at: Date.now() });
    }
  };
  const clients = [client(), client(), client(), client()];
  // Enough writes, and some acknowledged well before the kill (more than two flush intervals), however fast the machine.
  while (acked.length < 40 || Date.now() - acked[0]!.at < 3 * FLUSH_MS) await new Promise((r) => setTimeout(r, 20));
  const killedAt = Date.now();
  first.child.kill("SIGKILL");
  stop = true;
  await Promise.all(clients);
  await new Promise((r) => first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once("exit", r));

  for (const f of ["state.json", "state.journal"]) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  // A crash mid-append leaves a torn last line: loading must ignore it.
  appendFileSync(join(dir, "state.journal"), '{"seq":999999,"db":"","next":1,"w":[["1000');

  const second = startProcess(dir, Number(new URL(url).port));
  try {
    const { scimBase: base2, token: token2, restored } = await second.ready;
    expect(restored).toBeGreaterThan(0);
    const mustSurvive = acked.filter((a) => a.at < killedAt - 2 * FLUSH_MS);
    expect(mustSurvive.length).toBeGreaterThan(0);
    for (const { id } of mustSurvive) expect((await scim(base2, token2, "GET", `/Users/${id}`)).status).toBe(200);
    // And the restarted process keeps journaling after the torn line.
    expect((await scim(base2, token2, "POST", "/Users", user(100_000))).status).toBe(201);
  } finally {
    second.child.kill("SIGKILL");
  }
}, 120_000);

test("compaction and restart keep every document and the document counter", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gw-store-"));
  const t1 = await createEngine();
  const store1 = await openStore(t1, dir, { flushMs: 60_000, compactAtBytes: 2_000 });
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    ids.push(await t1.run((ctx) => ctx.db.insert("groups", { slug: `g${i}`, name: `G ${i}`, policy: { defaultRole: "member" }, createdAt: i })));
    if (i % 7 === 0) await t1.run((ctx) => ctx.db.patch(ids[i] as any, { name: `G ${i} renamed` }));
    if (i % 10 === 0) store1.flush(); // small threshold: some flushes compact
  }
  await t1.run((ctx) => ctx.db.delete(ids.pop() as any)); // the highest id, deleted
  store1.flush();
  const before = await t1.run((ctx) => ctx.db.query("groups").collect());
  // No close(): the second engine reads what the flushes wrote (snapshot + journal), as after a crash.
  const t2 = await createEngine();
  const store2 = await openStore(t2, dir);
  expect(await t2.run((ctx) => ctx.db.query("groups").collect())).toEqual(before);
  const fresh = await t2.run((ctx) => ctx.db.insert("groups", { slug: "new", name: "New", policy: { defaultRole: "member" }, createdAt: 0 }));
  expect(fresh > ids[ids.length - 1]! && !before.some((g) => g._id === fresh)).toBe(true);
  expect(Number(fresh.slice(0, -"groups".length))).toBe(Number(ids[ids.length - 1]!.slice(0, -"groups".length)) + 2);
  store2.close();
  store1.close();
});
