// `npm start`: the offline local gateway. Serves convex/http.ts over real HTTP on localhost through the
// convex-test engine, seeded from a JSON config (default local/demo.config.json), with state in a local data
// file, a demo app at /demo and a dev sign-in page. Flags: --port, --host, --config, --data (or env PORT,
// GATEWAY_CONFIG, GATEWAY_DATA).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
import { generatePrivateJwks } from "../src/session/tokens";
import { loadLocalConfig, type LocalConfig } from "./config";
import { demoAppPage, devSignInPage, type DemoButton } from "./demoApp";
import { envFromProcess } from "../src/component/lib/env";
import { createEngine, dumpState, restoreState, saveState, type Engine } from "./engine";
import { localPlugins, type LocalPlugin } from "./plugins";
import "./protocols";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface LocalGatewayOptions {
  port?: number;
  host?: string;
  configPath?: string;
  dataDir?: string;
  quiet?: boolean;
}

export interface LocalGateway {
  url: string;
  engine: Engine;
  config: LocalConfig;
  adminKey: string;
  scim: Array<{ baseUrl: string; token: string }>;
  buttons: DemoButton[];
  close(): Promise<void>;
}

function readOrCreate(path: string, make: () => Promise<string> | string): Promise<string> {
  if (existsSync(path)) return Promise.resolve(readFileSync(path, "utf8").trim());
  return Promise.resolve(make()).then((value) => {
    writeFileSync(path, value, { mode: 0o600 });
    return value;
  });
}

async function readBody(req: IncomingMessage, limit = 2 * 1024 * 1024): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function send(res: ServerResponse, response: Response) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function html(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

export async function startLocalGateway(opts: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const host = opts.host ?? "127.0.0.1";
  const dataDir = resolve(opts.dataDir ?? join(ROOT, ".local"));
  mkdirSync(dataDir, { recursive: true });
  const configPath = resolve(opts.configPath ?? join(ROOT, "local/demo.config.json"));

  // Bind first: the issuer URL (and the seed's {{baseUrl}}) need the real port.
  let handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_q, res) => {
    res.writeHead(503).end("starting");
  };
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err) => {
      console.error("local gateway: request failed", err);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 3210, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  const config = loadLocalConfig(configPath, url);
  process.env.GATEWAY_LOCAL = "1";
  process.env.CONVEX_SITE_URL = url;
  process.env.GATEWAY_OPTIONS = JSON.stringify(config.options ?? {});
  process.env.GATEWAY_SIGNING_KEYS ??= await readOrCreate(join(dataDir, "signing-jwks.json"), async () => JSON.stringify(await generatePrivateJwks()));
  const adminKey = await readOrCreate(join(dataDir, "admin-key"), () => randomBytes(24).toString("base64url"));

  const engine = createEngine();
  const dataFile = join(dataDir, "state.json");
  const restored = await restoreState(engine, dataFile);
  await engine.mutation(makeFunctionReference<"mutation">("admin/seed:apply"), {
    groups: config.groups.map((g) => ({ ...g })),
    apps: config.apps.map((a) => ({ ...a })),
  });

  const buttons: DemoButton[] = [{ label: "Sign in (dev)", authorizeQuery: null }];
  const scim: LocalGateway["scim"] = [];
  const plugins: LocalPlugin[] = [];
  for (const make of localPlugins) {
    const plugin = await make({ engine, config, baseUrl: url, dataDir });
    if (!plugin) continue;
    plugins.push(plugin);
    buttons.push(...(plugin.buttons ?? []));
    scim.push(...(plugin.scim ?? []));
  }

  let dirty = false;
  let saving: Promise<void> | null = null;
  const save = async () => {
    if (!dirty) return;
    dirty = false;
    saveState(await dumpState(engine), dataFile);
  };
  const timer = setInterval(() => {
    if (dirty && !saving) saving = save().finally(() => (saving = null));
  }, 250);
  dirty = true;

  const groupsForDevPage = config.groups.map((g) => ({ slug: g.slug, name: g.name }));
  const demoClientId = config.apps[0]?.clientId ?? "demo-app";

  handler = async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const search = (req.url ?? "").includes("?") ? (req.url ?? "").slice((req.url ?? "").indexOf("?")) : "";
    const method = req.method ?? "GET";
    if (path === "/" || path === "/demo" || path === "/demo/callback") {
      if (path === "/") return void res.writeHead(302, { location: "/demo" }).end();
      return send(res, html(demoAppPage({ baseUrl: url, clientId: demoClientId, buttons })));
    }
    if (path === "/_dev/signin") {
      if (method === "GET") return send(res, html(devSignInPage({ params: new URLSearchParams(search), groups: groupsForDevPage })));
      const body = await readBody(req);
      const form = new URLSearchParams(body?.toString("utf8") ?? "");
      try {
        const { redirectTo } = await engine.mutation(makeFunctionReference<"mutation">("localDev:signIn"), {
          clientId: form.get("client_id") ?? "",
          redirectUri: form.get("redirect_uri") ?? "",
          state: form.get("state") || undefined,
          codeChallenge: form.get("code_challenge") ?? "",
          groupSlug: form.get("group") ?? "",
          email: form.get("email") ?? "",
          name: form.get("name") || undefined,
          roles: form.get("role") ? [form.get("role")!] : [],
        });
        dirty = true;
        return void res.writeHead(302, { location: redirectTo }).end();
      } catch (err) {
        const message = (err as { data?: { message?: string } }).data?.message ?? "sign-in failed";
        return send(res, html(devSignInPage({ params: form, groups: groupsForDevPage, error: message }), 400));
      }
    }
    if (path === "/_local/admin" && method === "POST") {
      if (req.headers.authorization !== `Bearer ${adminKey}`) return void res.writeHead(401).end("admin key required");
      const body = await readBody(req);
      try {
        const { fn, args } = JSON.parse(body?.toString("utf8") ?? "{}");
        // convex-test's generic runner: resolves query / mutation / action by the module's export.
        const run = (engine as unknown as { fun(f: { udfPath: string; componentPath: string }, a: unknown): Promise<unknown> }).fun;
        // Admin functions are the gateway component's: run them there, with the env the app side passes down.
        const result = await run({ udfPath: String(fn), componentPath: "ssoGateway" }, { ...(args ?? {}), env: envFromProcess() });
        dirty = true;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result: result ?? null }));
      } catch (err) {
        const e = err as { data?: unknown; message?: string };
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: e.data ?? e.message }));
      }
      return;
    }
    for (const plugin of plugins) {
      if (plugin.prefix && path.startsWith(plugin.prefix) && plugin.handle) {
        dirty = true;
        return plugin.handle(req, res);
      }
    }
    const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
    if (body === null) return void res.writeHead(413).end("request body too large");
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    const response = await engine.fetch(path + search, { method, headers, body: body ? new Uint8Array(body) : undefined });
    if (method !== "GET" || path.startsWith("/sso/") || path.startsWith("/scim/")) dirty = true;
    return send(res, response);
  };

  if (!opts.quiet) {
    const lines = [
      `Local gateway on ${url}  (restored ${restored} documents from ${dataFile})`,
      ``,
      `  Demo app           ${url}/demo`,
      `  Discovery          ${url}/.well-known/openid-configuration`,
      `  JWKS               ${url}/.well-known/jwks.json`,
      `  Authorize          ${url}/sso/authorize?client_id=${demoClientId}&group=demo&...`,
      ...plugins.flatMap((p) => p.banner ?? []),
      ``,
      `Try:`,
      `  curl -s ${url}/.well-known/openid-configuration`,
      ...scim.flatMap((s) => [`  curl -s -H 'authorization: Bearer ${s.token}' '${s.baseUrl}/Users?count=2'`]),
      `  npm run admin -- admin/groups:list '{}'        # admin functions (key in ${join(dataDir, "admin-key")})`,
      ``,
      `Ctrl-C stops it; state is kept in ${dataFile}.`,
    ];
    console.log(lines.join("\n"));
  }

  let closed = false;
  return {
    url,
    engine,
    config,
    adminKey,
    scim,
    buttons,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await saving;
      dirty = true;
      await save();
      for (const p of plugins) await p.close?.();
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const gateway = await startLocalGateway({
    port: Number(arg("port") ?? process.env.PORT ?? 3210),
    host: arg("host") ?? "127.0.0.1",
    configPath: arg("config") ?? process.env.GATEWAY_CONFIG,
    dataDir: arg("data") ?? process.env.GATEWAY_DATA,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: saving state and stopping…`);
    await gateway.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
