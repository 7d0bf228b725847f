// `npm start`: the offline local gateway. Serves convex/http.ts over real HTTP on localhost through the
// convex-test engine, seeded from a JSON config (default local/demo.config.json), with state in a local data
// file, a demo app at /demo and a dev sign-in page. Flags: --port, --host, --config, --data (or env PORT,
// GATEWAY_CONFIG, GATEWAY_DATA), --allow-dev-signin (keep the dev sign-in on a non-loopback --host), --app <dir>
// (serve an app that installed the package, e.g. examples/react-app, with its Convex clients; `npm run example`)
// and --app-port (its built pages, default 5173; `off`: none, e.g. while `npm run dev` serves them).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
import { generatePrivateJwks } from "../src/session/tokens";
import { loadLocalConfig, type LocalConfig } from "./config";
import { demoAppPage, devSignInPage, type DemoButton } from "./demoApp";
import { LOCAL_GATEWAY_MARKER } from "../src/gateway/env";
import { createEngine, type Engine } from "./engine";
import { openStore } from "./store";
import { attachSync, engineSyncBackend, type SyncEndpoint } from "./syncServer";
import { serveAppPages } from "./appPages";
import { localPlugins, type LocalPlugin } from "./plugins";
import "./protocols";
import { CLIENT_ADDRESS_HEADER } from "../src/shared/clientAddress";
import { errorPage } from "../src/component/lib/pages";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface LocalGatewayOptions {
  port?: number;
  host?: string;
  configPath?: string;
  dataDir?: string;
  quiet?: boolean;
  /** --allow-dev-signin: keep /_dev/signin on although the host is not a loopback address. */
  allowDevSignIn?: boolean;
  /**
   * --app <dir>: serve that app (its convex/, with the component from the package it installed) instead of this
   * repository's standalone convex/, and its Convex clients over the sync protocol (WebSocket /api/<v>/sync).
   */
  appDir?: string;
  /** --app-port: also serve the app's built pages (<appDir>/dist) on this port of the same host (the example's 5173). */
  appPort?: number;
}

/** Loopback: 127.0.0.0/8, ::1 and localhost. Anything else can be reached from other machines. */
function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The dev sign-in lets anyone sign in as anyone: on only where no one else can reach it, or when asked. */
export function devSignInEnabled(host: string, allowDevSignIn: boolean): boolean {
  return isLoopbackHost(host) || allowDevSignIn;
}

/** What `npm start --host <non-loopback>` prints, or null on loopback. */
export function exposedHostWarning(host: string, allowDevSignIn: boolean): string | null {
  if (isLoopbackHost(host)) return null;
  const bar = "!".repeat(78);
  const lines = [
    bar,
    `WARNING: the local gateway listens on ${host}, which other machines can reach.`,
    "It is a development tool: the fixed dev encryption key seals its secrets and its SSRF guard is off.",
    allowDevSignIn
      ? "/_dev/signin is ON (--allow-dev-signin): anyone who can reach this address can sign in as anyone."
      : "/_dev/signin is OFF on this address; pass --allow-dev-signin to turn it on (anyone could then sign in as anyone).",
    bar,
  ];
  return lines.join("\n");
}

export interface LocalGateway {
  url: string;
  engine: Engine;
  /** With `appDir`: the Convex client endpoint (ws://…/api/<version>/sync). */
  sync?: SyncEndpoint;
  /** With `appPort`: where the app's built pages are served. */
  appUrl?: string;
  config: LocalConfig;
  adminKey: string;
  scim: Array<{ baseUrl: string; token: string }>;
  buttons: DemoButton[];
  /** A fresh single-use setup-portal link for the first group (a new one at every start). */
  setupLink?: string;
  /** A fresh single-use operator link (the app team's overview page; a new one at every start). */
  operatorLink: string;
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
  const appDir = opts.appDir ? resolve(opts.appDir) : undefined;
  // An app keeps its own state (its tables and the component's), apart from the standalone gateway's.
  const dataDir = resolve(opts.dataDir ?? join(ROOT, ".local", ...(appDir ? ["apps", basename(appDir)] : [])));
  mkdirSync(dataDir, { recursive: true });
  const configPath = resolve(opts.configPath ?? join(ROOT, "local/demo.config.json"));
  const devSignIn = devSignInEnabled(host, opts.allowDevSignIn ?? false);
  const warning = exposedHostWarning(host, opts.allowDevSignIn ?? false);
  if (warning) console.warn(warning);

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
  (globalThis as Record<symbol, unknown>)[LOCAL_GATEWAY_MARKER] = true;
  process.env.GATEWAY_LOCAL = "1";
  process.env.CONVEX_SITE_URL = url;
  process.env.GATEWAY_OPTIONS = JSON.stringify(config.options ?? {});
  process.env.GATEWAY_SIGNING_KEYS ??= await readOrCreate(join(dataDir, "signing-jwks.json"), async () => JSON.stringify(await generatePrivateJwks()));
  const adminKey = await readOrCreate(join(dataDir, "admin-key"), () => randomBytes(24).toString("base64url"));

  const engine = await createEngine({ appDir });
  const store = await openStore(engine, dataDir);
  const sync = appDir ? await attachSync(server, engine, await engineSyncBackend(engine, join(appDir, "convex"))) : undefined;
  const appSite = appDir && opts.appPort !== undefined ? await serveAppPages(join(appDir, "dist"), host, opts.appPort) : undefined;
  const { restored, snapshotFile: dataFile } = store;
  // convex-test runs scheduled functions on this process's timers, which died with the last process: put the
  // webhook queue's heads back on the scheduler (a deployment's scheduler is durable and never needs this).
  // Before seeding, so that only restored rows are rescheduled.
  await engine.mutation(makeFunctionReference<"mutation">("events/delivery:resume"), {});
  // Webhook endpoints first, so that they hear about the seeded groups and apps too.
  await engine.mutation(makeFunctionReference<"mutation">("events/seed:apply"), {
    webhooks: (config.webhooks ?? []).map((w) => ({ ...w, events: w.events ? [...w.events] : undefined })),
    apiKeys: (config.apiKeys ?? []).map((k) => ({ ...k })),
  });
  await engine.mutation(makeFunctionReference<"mutation">("admin/seed:apply"), {
    groups: config.groups.map((g) => ({ ...g })),
    apps: config.apps.map((a) => ({ ...a })),
  });

  const buttons: DemoButton[] = devSignIn ? [{ label: "Sign in (dev)", authorizeQuery: null }] : [];
  const scim: LocalGateway["scim"] = [];
  const plugins: LocalPlugin[] = [];
  for (const make of localPlugins) {
    const plugin = await make({ engine, config, baseUrl: url, dataDir });
    if (!plugin) continue;
    plugins.push(plugin);
    buttons.push(...(plugin.buttons ?? []));
    scim.push(...(plugin.scim ?? []));
  }

  const firstGroup = config.groups[0]?.slug;
  const setupLink = firstGroup
    ? ((await engine.mutation(makeFunctionReference<"mutation">("portal/links:create"), { group: firstGroup, createdBy: "npm start" })) as { url: string }).url
    : undefined;
  const operatorLink = ((await engine.mutation(makeFunctionReference<"mutation">("portal/operator:createLink"), { createdBy: "npm start" })) as { url: string }).url;

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
    if (path === "/_dev/signin" && !devSignIn) {
      return send(res, errorPage({ title: "Dev sign-in is off", message: "This gateway listens on an address other machines can reach, so the dev sign-in (anyone as anyone) is off. Restart it with --allow-dev-signin to turn it on.", status: 404 }));
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
        const result = await run({ udfPath: String(fn), componentPath: "ssoGateway" }, { ...(args ?? {}), env: await engine.appEnv() });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result: result ?? null }));
      } catch (err) {
        const e = err as { data?: unknown; message?: string };
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: e.data ?? e.message }));
      }
      return;
    }
    for (const plugin of plugins) {
      if (plugin.prefix && path.startsWith(plugin.prefix) && plugin.handle) {
        return plugin.handle(req, res);
      }
    }
    const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
    if (body === null) return void res.writeHead(413).end("request body too large");
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === CLIENT_ADDRESS_HEADER) continue;
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    // As Convex's edge does: the rate limits' client address is the peer this process saw, never the client's claim.
    headers.set(CLIENT_ADDRESS_HEADER, req.socket.remoteAddress ?? "unknown");
    const response = await engine.fetch(path + search, { method, headers, body: body ? new Uint8Array(body) : undefined });
    return send(res, response);
  };

  if (!opts.quiet) {
    const lines = [
      `Local gateway on ${url}  (restored ${restored} documents from ${dataFile})`,
      ...(appDir ? [`  Serving the app    ${appDir}  (its convex/ functions; Convex clients at ${url.replace(/^http/, "ws")}/api/<version>/sync)`] : []),
      ...(appSite ? [`  App pages          ${appSite.url}  (${join(appDir!, "dist")})`] : []),
      ...(appSite
        ? buttons.filter((b) => b.authorizeQuery?.connection).map((b) => `  ${`App via ${b.label.replace(/^Sign in with /, "")}`.padEnd(19)}${appSite.url}/?connection=${b.authorizeQuery!.connection}`)
        : []),
      ``,
      `  Demo app           ${url}/demo`,
      `  Discovery          ${url}/.well-known/openid-configuration`,
      `  JWKS               ${url}/.well-known/jwks.json`,
      `  Authorize          ${url}/sso/authorize?client_id=${demoClientId}&group=demo&...`,
      ...plugins.flatMap((p) => p.banner ?? []),
      ...(setupLink ? [`  Setup portal       ${setupLink}  (single use, for group ${firstGroup}; the IT admin's view)`] : []),
      `  Operator page      ${operatorLink}  (single use, 15 min; your team's view — a new one: npm run admin -- operator-link)`,
      ``,
      `Try:`,
      `  curl -s ${url}/.well-known/openid-configuration`,
      ...scim.flatMap((s) => [`  curl -s -H 'authorization: Bearer ${s.token}' '${s.baseUrl}/Users?count=2'`]),
      ...(config.apiKeys ?? []).slice(0, 1).map((k) => `  curl -s -H 'authorization: Bearer ${k.key}' '${url}/events?after=0&limit=5'`),
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
    sync,
    appUrl: appSite?.url,
    config,
    adminKey,
    scim,
    buttons,
    setupLink,
    operatorLink,
    async close() {
      if (closed) return;
      closed = true;
      for (const p of plugins) await p.close?.();
      await sync?.close();
      await appSite?.close();
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
      store.close(); // last: whatever the requests above committed is in the snapshot

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
    allowDevSignIn: process.argv.includes("--allow-dev-signin"),
    appDir: arg("app"),
    appPort: arg("app") && arg("app-port") !== "off" ? Number(arg("app-port") ?? 5173) : undefined,
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
