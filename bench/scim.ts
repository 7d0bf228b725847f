// SCIM bench (issue 6): requests/s of the Okta + Entra sequences through convex/http.ts (convex-test engine),
// side by side with SCIMMY (an independent SCIM server library) driven with the same sequences in the same
// process and run; and documents read per `eq` lookup and per page at 1k and 100k users.
//
// How "documents read" is measured: the SCIM mutation returns ctx.meta.getTransactionMetrics().documentsRead
// — the engine's own count for the whole transaction (directory + token rows included) — with Convex's
// per-transaction limits enforced (convexTest transactionLimits: true).
// Caveat on requests/s: convex-test is an in-memory engine (with local/indexedReads.ts: index seeks), and
// SCIMMY here runs against an in-memory Map with no HTTP layer; both numbers are single-process, no network,
// and say more about per-request CPU than about a deployment.
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { convexTest, type TestConvex } from "convex-test";
import SCIMMY from "scimmy";
import schema from "../src/component/schema";
import { internal } from "../src/component/_generated/api";
import { sha256b64url } from "../src/component/scim/store";
import { asComponent, register } from "../src/test";
import { engineModules } from "../local/engine";
import { coreSequence, entraSequence, oktaSequence, type Check, type ScimClient } from "../fixtures/scim/sequences";
import { seedUsers } from "../test/scim/seed";
import { benchScimHttp } from "./scimHttp";
import { enableIndexedReads } from "../local/indexedReads";
import { scimOperationCounts } from "./scimCounts";

type Row = Record<string, string | number>;
type T = TestConvex<typeof schema>;
const TOKEN = "bench-scim-token-0123456789abcdef";

async function gateway(limits: boolean) {
  process.env.CONVEX_SITE_URL ??= "http://127.0.0.1:3211";
  const modules = engineModules();
  const app = convexTest({ modules: modules.app, transactionLimits: limits });
  register(app, "ssoGateway", modules.component);
  const t: T = asComponent(app);
  await enableIndexedReads(t); // the local engine's indexed reads, as in `npm start`
  await t.run((ctx) => ctx.db.insert("groups", { slug: "bench", name: "Bench", policy: { defaultRole: "member" }, createdAt: 0 }));
  const { slug } = await t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "bench", directoryId: "bench-dir", name: "Bench", token: TOKEN });
  const dir = await t.run((ctx) => ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", slug)).unique());
  const client: ScimClient = async (method, path, body, headers) => {
    const res = await t.fetch(`/scim/v2/${slug}${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "Content-Type": "application/scim+json" } : {}), ...(headers ?? {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return { t, slug, directoryId: dir!._id, client };
}

/** SCIMMY with in-memory stores, driven through the same (method, path, body) client interface. */
const scimmyStores = { users: new Map<string, any>(), groups: new Map<string, any>() };
let scimmyDeclared = false;

function scimmyClient(): ScimClient {
  scimmyStores.users = new Map();
  scimmyStores.groups = new Map();
  if (!scimmyDeclared) declareScimmy();
  return scimmyRoute;
}

function declareScimmy() {
  scimmyDeclared = true;
  const stamp = (o: any, created?: string) => ({ ...o, meta: { created: created ?? new Date().toISOString(), lastModified: new Date().toISOString() } });
  const declare = (R: any, which: "users" | "groups", unique: string) => {
    const storeOf = () => scimmyStores[which];
    R.ingress((resource: any, instance: any) => {
      const store = storeOf();
      const key = String(instance[unique] ?? "").toLowerCase();
      for (const [id, v] of store) if (id !== resource.id && String(v[unique] ?? "").toLowerCase() === key) throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} not unique`);
      if (resource.id) {
        const prev = store.get(resource.id);
        if (!prev) throw new SCIMMY.Types.Error(404, null as any, `Resource ${resource.id} not found`);
        const next = stamp({ ...instance, id: resource.id }, prev.meta.created);
        store.set(resource.id, next);
        return next;
      }
      const id = randomUUID();
      const v = stamp({ ...instance, id });
      store.set(id, v);
      return v;
    });
    R.egress((resource: any) => {
      const store = storeOf();
      if (resource.id) {
        const v = store.get(resource.id);
        if (!v) throw new SCIMMY.Types.Error(404, null as any, `Resource ${resource.id} not found`);
        return v;
      }
      // SCIMMY leaves filtering to the egress handler: use SCIMMY's own Filter on the in-memory values.
      const all = [...store.values()];
      return resource.filter ? resource.filter.match(all) : all;
    });
    R.degress((resource: any) => {
      if (!storeOf().delete(resource.id)) throw new SCIMMY.Types.Error(404, null as any, `Resource ${resource.id} not found`);
    });
    SCIMMY.Resources.declare(R);
  };
  declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false), "users", "userName");
  declare(SCIMMY.Resources.Group, "groups", "displayName");
}

const scimmyRoute: ScimClient = async (method, path, body, headers) => {
    const h = new Headers();
    const reply = (status: number, b?: unknown) => ({ status, body: b === undefined ? undefined : JSON.parse(JSON.stringify(b)), headers: h });
    const auth = headers?.Authorization ?? `Bearer ${TOKEN}`;
    if (auth !== `Bearer ${TOKEN}`) return reply(401, new SCIMMY.Messages.ErrorResponse(new SCIMMY.Types.Error(401, null as any, "unauthorized")));
    const url = new URL(path, "http://scimmy.local");
    const [kind, id] = url.pathname.split("/").filter(Boolean);
    const params = Object.fromEntries(url.searchParams);
    const config: any = { ...params, ...(params.startIndex ? { startIndex: Number(params.startIndex) } : {}), ...(params.count ? { count: Number(params.count) } : {}) };
    try {
      if (kind === "Schemas") return reply(200, await new SCIMMY.Resources.Schema(id, config).read());
      const R: any = kind === "Users" ? SCIMMY.Resources.User : kind === "Groups" ? SCIMMY.Resources.Group : undefined;
      if (!R) return reply(404);
      switch (method) {
        case "GET":
          return reply(200, await new R(id, config).read());
        case "POST":
          return reply(201, await new R(config).write(body));
        case "PUT":
          return reply(200, await new R(id, config).write(body));
        case "PATCH": {
          const r = await new R(id, config).patch(body);
          return r === undefined ? reply(204) : reply(200, r);
        }
        case "DELETE":
          await new R(id).dispose();
          return reply(204);
      }
      return reply(405);
    } catch (e: any) {
      const err = new SCIMMY.Messages.ErrorResponse(e);
      return reply(Number(err.status), err);
    }
};

async function runSequences(client: ScimClient, rounds: number, which: "idp" | "core" = "idp") {
  let failed = 0;
  const failures = new Set<string>();
  const check: Check = (ok, what) => {
    if (!ok) {
      failed++;
      failures.add(what);
    }
  };
  let requests = 0;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    if (which === "core") requests += (await coreSequence(client, check, i)).requests;
    else {
      requests += (await oktaSequence(client, check, i)).requests;
      requests += (await entraSequence(client, check, i)).requests;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { requests, seconds, failed, failures: [...failures] };
}

async function readsFor(t: T, slug: string, path: string): Promise<number> {
  const [p, query = ""] = path.split("?");
  const r = await t.mutation(internal.scim.api.handle, {
    directory: slug, tokenHash: await sha256b64url(TOKEN), method: "GET",
    segments: p!.split("/").filter(Boolean), query: query ? `?${query}` : "",
  });
  return r.reads ?? -1;
}

export async function benchScim(): Promise<Array<Record<string, string | number>>> {
  const rows: Row[] = [];
  const rounds = Number(process.env.SCIM_BENCH_ROUNDS ?? 15);

  // Warm-up both, then measure in the same process and run: the IdP sequences, and plain RFC CRUD (the
  // like-for-like comparison, since SCIMMY rejects several Okta/Entra shapes and would be timed on errors).
  await runSequences((await gateway(false)).client, 1);
  await runSequences(scimmyClient(), 1);
  for (const [label, which] of [["Okta + Entra sequences", "idp"], ["RFC core CRUD sequence", "core"]] as const) {
    const ours = await runSequences((await gateway(false)).client, rounds, which);
    const theirs = await runSequences(scimmyClient(), rounds, which);
    for (const [server, r] of [["gateway: convex/http.ts via convex-test", ours], ["SCIMMY 1.3 (in-memory handlers)", theirs]] as const) {
      rows.push({
        bench: "scim", case: label, server, requests: r.requests,
        seconds: Number(r.seconds.toFixed(2)), "req/s": Math.round(r.requests / r.seconds),
        "checks failed": r.failed, ...(r.failures.length ? { "failed checks": r.failures.join("; ") } : {}),
      });
    }
  }

  // Function calls (transactions), documents read and written per operation.
  const counted = await gateway(false);
  rows.push(...(await scimOperationCounts(counted.t, counted.client)));

  // Server CPU per request over HTTP through the local gateway, beside SCIMMY; churn; profile (bench/scimHttp.ts).
  rows.push(...(await benchScimHttp(scimmyClient())));

  // Documents read per eq lookup and per page.
  const sizes = (process.env.SCIM_BENCH_SIZES ?? "1000,100000").split(",").map(Number);
  for (const n of sizes) {
    const g = await gateway(true);
    const t0 = performance.now();
    await seedUsers(g.t, g.directoryId, n);
    const seedSeconds = (performance.now() - t0) / 1000;
    const f = (s: string) => `filter=${encodeURIComponent(s)}`;
    const cases: Array<[string, string]> = [
      ["userName eq", `/Users?${f(`userName eq "user${n >> 1}@scale.example"`)}`],
      ["externalId eq", `/Users?${f(`externalId eq "ext-${n - 1}"`)}`],
      ["emails.value eq", `/Users?${f(`emails.value eq "user7@scale.example"`)}`],
      ["displayName eq", `/Users?${f(`displayName eq "User 5"`)}`],
      ["page 1 (count=100)", "/Users?startIndex=1&count=100"],
      [`page at startIndex ${n - 150} (count=100)`, `/Users?startIndex=${n - 150}&count=100`],
    ];
    // Steady state: the first request in a minute also refreshes the token's lastUsedAt (one more read).
    await readsFor(g.t, g.slug, "/Users?count=0");
    for (const [name, path] of cases) {
      rows.push({ bench: "scim", case: `documents read: ${name}`, users: n, "documents read": await readsFor(g.t, g.slug, path), "seed s": Number(seedSeconds.toFixed(1)) });
    }
  }
  return rows;
}

// `tsx bench/scim.ts` runs it alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  benchScim().then((rows) => console.table(rows), (e) => {
    console.error(e);
    process.exit(1);
  });
}
