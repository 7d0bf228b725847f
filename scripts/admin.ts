// `npm run admin -- <function> '<json args>'` — run an admin (internal) function.
//   Against the local gateway (default when .local/admin-key exists, or --local URL):
//     npm run admin -- admin/groups:create '{"slug":"acme","name":"Acme","domains":["acme.com"]}'
//   Against a real deployment (--prod or --deployment): delegates to `npx convex run`, which uses your
//   CONVEX_DEPLOYMENT / deploy key, e.g. npm run admin -- --prod admin/apps:list '{}'
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
// --ndjson: page through a function returning { ndjson, nextCursor, done } (events/audit:exportGroup), printing
// the lines: npm run admin -- --ndjson events/audit:exportGroup '{"groupId":"…"}' > acme-audit.ndjson
const ndjson = argv.includes("--ndjson") ? (argv.splice(argv.indexOf("--ndjson"), 1), true) : false;
const prod = argv.includes("--prod") ? (argv.splice(argv.indexOf("--prod"), 1), true) : false;
const deployment = flag("--deployment");
const localUrl = flag("--local") ?? process.env.GATEWAY_URL ?? "http://127.0.0.1:3210";
const dataDir = flag("--data") ?? process.env.GATEWAY_DATA ?? ".local";
// Shortcuts: `operator-link` mints a single-use operator link (the operator page: groups, connections, setup links).
const SHORTCUTS: Record<string, string> = { "operator-link": "portal/operator:createLink" };
const [given, argsJson = "{}"] = argv;
const fn = given && (SHORTCUTS[given] ?? given);

if (!fn || fn === "--help") {
  console.log("usage: npm run admin -- [--local URL | --prod | --deployment NAME] <module:function> '<json args>'");
  console.log("examples: admin/groups:list '{}'  admin/groups:create '{\"slug\":\"acme\",\"name\":\"Acme\"}'  admin/apps:list '{}'  operator-link");
  process.exit(fn ? 0 : 2);
}
let args: unknown;
try {
  args = JSON.parse(argsJson);
} catch {
  console.error(`args must be JSON: ${argsJson}`);
  process.exit(2);
}
if (given === "operator-link") args = { createdBy: "cli", ...(args as object) };

// The gateway is a component of the deployment: its functions run through the app's internal admin:run, which
// passes the env down. The kind (query / mutation / action) comes from the component's module itself.
async function kindOf(name: string): Promise<"query" | "mutation" | "action"> {
  const [modulePath, exportName = "default"] = name.split(":");
  const mod = (await import(`../src/component/${modulePath}.ts`)) as Record<string, { isQuery?: boolean; isMutation?: boolean }>;
  const exported = mod[exportName];
  if (!exported) {
    console.error(`no function ${name} in the gateway component`);
    process.exit(2);
  }
  return exported.isQuery ? "query" : exported.isMutation ? "mutation" : "action";
}
const kind = prod || deployment ? await kindOf(fn) : undefined;

if ((prod || deployment) && !ndjson) {
  const extra = prod ? ["--prod"] : ["--deployment-name", deployment!];
  const r = spawnSync("npx", ["convex", "run", ...extra, "admin:run", JSON.stringify({ kind, fn, args })], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

type Page = { ndjson: string; nextCursor: number; done: boolean };
async function callOnce(callArgs: unknown): Promise<Page> {
  if (prod || deployment) {
    const extra = prod ? ["--prod"] : ["--deployment-name", deployment!];
    const r = spawnSync("npx", ["convex", "run", ...extra, "admin:run", JSON.stringify({ kind, fn, args: callArgs })], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) process.exit(r.status ?? 1);
    return JSON.parse(r.stdout) as Page;
  }
  const r = await fetch(`${localUrl}/_local/admin`, {
    method: "POST",
    headers: { authorization: `Bearer ${readFileSync(join(dataDir, "admin-key"), "utf8").trim()}`, "content-type": "application/json" },
    body: JSON.stringify({ fn, args: callArgs }),
  });
  const body = await r.json();
  if (!r.ok) {
    console.error(JSON.stringify(body));
    process.exit(1);
  }
  return body.result as Page;
}
if (ndjson) {
  let after = (args as { after?: number }).after ?? 0;
  for (;;) {
    const page = await callOnce({ ...(args as object), after });
    process.stdout.write(page.ndjson);
    if (page.done) process.exit(0);
    after = page.nextCursor;
  }
}

const keyFile = join(dataDir, "admin-key");
if (!existsSync(keyFile)) {
  console.error(`no local gateway admin key at ${keyFile}: start it with \`npm start\` (or pass --prod for a deployment)`);
  process.exit(2);
}
const res = await fetch(`${localUrl}/_local/admin`, {
  method: "POST",
  headers: { authorization: `Bearer ${readFileSync(keyFile, "utf8").trim()}`, "content-type": "application/json" },
  body: JSON.stringify({ fn, args }),
}).catch((err) => {
  console.error(`cannot reach the local gateway at ${localUrl}: ${(err as Error).message}`);
  process.exit(1);
});
const body = await res.json();
console.log(JSON.stringify(body.result ?? body, null, 2));
process.exit(res.ok ? 0 : 1);
