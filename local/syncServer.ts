// The local engine's Convex client endpoint: WebSocket `/api/<version>/sync` (ws) in front of the sync protocol core
// (local/sync.ts), with the app's functions run in convex-test and the user's JWT verified as Convex verifies it:
// from the app's convex/auth.config.ts providers (issuer + applicationID), with the keys from the issuer's OIDC
// discovery (jose). Only the app's PUBLIC functions are reachable, as on a deployment.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from "jose";
import { makeFunctionReference } from "convex/server";
import type { Value } from "convex/values";
import { WebSocketServer, type WebSocket } from "ws";
import { identityFromClaims, SyncSession, type CommitClock, type FunctionKind, type SyncBackend, type VerifiedUser } from "./sync";
import { findDatabases, onCommit } from "./indexedReads";
import { appAccessor, type Engine } from "./engine";

const SYNC_PATH = /^\/api\/[^/]+\/sync$/;

/** One entry of auth.config.ts: an OIDC provider (`domain`) or a custom JWT provider (`issuer` + `jwks`). */
type AuthProvider = { domain?: string; issuer?: string; jwks?: string; applicationID?: string; type?: string; algorithm?: string };

let authConfigLoads = 0;

/**
 * The app's auth.config.ts, evaluated anew for each engine, as a deployment evaluates it with its own env: it reads
 * process.env (CONVEX_SITE_URL) when evaluated, and a module cached by an earlier engine in the same process (another
 * local gateway, another port) would name that gateway's issuer.
 */
async function loadAuthConfig(convexDir: string): Promise<AuthProvider[]> {
  const file = ["auth.config.ts", "auth.config.js"].map((f) => join(convexDir, f)).find((f) => existsSync(f));
  if (!file) return [];
  const href = `${pathToFileURL(file).href}?engine=${++authConfigLoads}`;
  const config = ((await import(href)) as { default?: { providers?: AuthProvider[] } }).default;
  return config?.providers ?? [];
}

/**
 * Verifies a user JWT against the app's auth.config.ts providers: the provider whose issuer is the token's `iss`,
 * its keys (OIDC: `jwks_uri` of `${domain}/.well-known/openid-configuration`), `aud` = applicationID, not expired.
 */
export function authConfigVerifier(providers: AuthProvider[], fetchImpl: typeof fetch = fetch) {
  const keys = new Map<string, Promise<JWTVerifyGetKey>>();
  const issuerOf = (p: AuthProvider) => String(p.domain ?? p.issuer ?? "").replace(/\/+$/, "");
  const keysOf = (p: AuthProvider): Promise<JWTVerifyGetKey> => {
    const issuer = issuerOf(p);
    let found = keys.get(issuer);
    if (!found) {
      found = (async () => {
        if (p.jwks) return createRemoteJWKSet(new URL(p.jwks));
        const res = await fetchImpl(`${issuer}/.well-known/openid-configuration`);
        if (!res.ok) throw new Error(`OIDC discovery of ${issuer} answered ${res.status}`);
        const discovery = (await res.json()) as { jwks_uri?: string; issuer?: string };
        if (!discovery.jwks_uri) throw new Error(`OIDC discovery of ${issuer} has no jwks_uri`);
        return createRemoteJWKSet(new URL(discovery.jwks_uri));
      })();
      found.catch(() => keys.delete(issuer)); // retried on the next token
      keys.set(issuer, found);
    }
    return found;
  };
  return async (token: string): Promise<VerifiedUser> => {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new Error("Could not parse the auth token as a JWT");
    }
    const provider = providers.find((p) => issuerOf(p) === String(iss ?? "").replace(/\/+$/, ""));
    if (!provider) throw new Error(`No auth provider found matching the given token (iss "${String(iss)}"): check convex/auth.config.ts`);
    try {
      const { payload } = await jwtVerify(token, await keysOf(provider), {
        issuer: [issuerOf(provider), `${issuerOf(provider)}/`],
        ...(provider.applicationID !== undefined && { audience: provider.applicationID }),
        algorithms: provider.algorithm ? [provider.algorithm] : ["RS256", "ES256", "EdDSA"],
        requiredClaims: ["sub", "exp"],
      });
      return { identity: identityFromClaims(payload as Record<string, unknown>), expiresAt: (payload.exp as number) * 1000 };
    } catch (err) {
      throw new Error(`Could not verify the auth token: ${(err as Error).message}`);
    }
  };
}

type RegisteredFunction = { isPublic?: boolean; isQuery?: boolean; isMutation?: boolean; isAction?: boolean };

/** The app's function at `udfPath` if it is public and of this kind (what a deployment lets a client call). */
async function publicFunction(convexDir: string, udfPath: string, kind: FunctionKind): Promise<boolean> {
  const [modulePath, name = "default"] = udfPath.replace(/\.js(?=:|$)/, "").split(":");
  if (!modulePath || modulePath.split("/").some((part) => part === ".." || part.startsWith("_"))) return false;
  const file = [".ts", ".js"].map((ext) => join(convexDir, modulePath + ext)).find((f) => existsSync(f));
  if (!file) return false;
  const fn = ((await import(pathToFileURL(file).href)) as Record<string, RegisteredFunction | undefined>)[name];
  const ofKind = { query: fn?.isQuery, mutation: fn?.isMutation, action: fn?.isAction }[kind];
  return fn?.isPublic === true && ofKind === true;
}

/** The sync backend over a local engine: the app's public functions, run with the verified identity. */
export async function engineSyncBackend(engine: Engine, convexDir: string): Promise<SyncBackend> {
  const verify = authConfigVerifier(await loadAuthConfig(convexDir));
  const app = appAccessor(engine);
  return {
    authenticate: verify,
    async run(kind, udfPath, args, identity) {
      if (!(await publicFunction(convexDir, udfPath, kind))) throw new Error(`Could not find public function for '${udfPath}'`);
      const runner = identity ? app.withIdentity(identity) : app;
      return (await runner[kind](makeFunctionReference(udfPath), args)) as Value;
    },
  };
}

export interface SyncEndpoint {
  clock: CommitClock;
  /** Open client connections. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Serves the sync protocol on `server`'s upgrade requests to /api/<version>/sync. Every commit of the engine's
 * databases (app and component) advances the clock and makes every session run its queries again.
 */
export async function attachSync(server: Server, engine: Engine, backend: SyncBackend, opts: { pingMs?: number } = {}): Promise<SyncEndpoint> {
  let ts = 1n;
  const clock: CommitClock = { ts: () => ts };
  const sessions = new Set<SyncSession>();
  let pending = false;
  for (const db of await findDatabases(engine)) {
    onCommit(db, () => {
      ts += 1n;
      if (pending) return;
      pending = true;
      // After the committing call returns (a commit is inside a transaction), once for a burst of commits.
      setImmediate(() => {
        pending = false;
        for (const s of sessions) void s.refresh();
      });
    });
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (!SYNC_PATH.test(path)) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  };
  const serve = (ws: WebSocket) => {
    const session = new SyncSession(backend, clock, (message) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    });
    sessions.add(session);
    // Convex's client reconnects after 60 s without a message; Pings keep an idle connection open.
    const ping = setInterval(() => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: "Ping" })), opts.pingMs ?? 15_000);
    ws.on("message", (data) => void session.receive(String(data)).catch(() => ws.close(1011, "protocol error")));
    ws.on("close", () => {
      clearInterval(ping);
      session.close();
      sessions.delete(session);
    });
  };
  server.on("upgrade", onUpgrade);
  return {
    clock,
    connections: () => sessions.size,
    async close() {
      server.off("upgrade", onUpgrade);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
    },
  };
}
