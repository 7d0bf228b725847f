// OIDC test harness: a real OP (node-oidc-provider, local/oidcIdp.ts) on 127.0.0.1 behind a fault-injecting
// node server, a cookie-jar "browser" for the OP's login page, and the gateway driven through convex/http.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";
import { startTestOidcProvider, type TestOidcClient, type TestOidcProvider } from "../../local/oidcIdp";
import { APP, expectOnlyTraceWritten, newGateway, pkcePair, seedGroupAndApp, snapshot, type TestGateway } from "../helpers";

export const SITE = "https://gw.example.test";

/** A node server on 127.0.0.1:random whose routes can be overridden per test (fault injection, crafted responses). */
export interface LoopbackServer {
  origin: string;
  server: Server;
  /** Requests seen, by pathname (to assert e.g. a JWKS re-fetch). */
  hits: string[];
  /** First handler returning true wins; otherwise `fallback`. */
  overrides: Array<(req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>>;
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  const s: LoopbackServer = {
    origin: "",
    server: undefined as unknown as Server,
    hits: [],
    overrides: [],
    fallback: (_req, res) => res.writeHead(404).end(),
    close: async () => {
      s.server.closeAllConnections?.();
      await new Promise<void>((r) => s.server.close(() => r()));
    },
  };
  s.server = createServer(async (req, res) => {
    s.hits.push(new URL(req.url ?? "/", "http://x").pathname);
    for (const o of s.overrides) if (await o(req, res)) return;
    s.fallback(req, res);
  });
  await new Promise<void>((r) => s.server.listen(0, "127.0.0.1", () => r()));
  s.origin = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

export interface OpHarness {
  t: TestGateway;
  groupId: Id<"groups">;
  connectionId: Id<"connections">;
  redirectUri: string;
  jwksUri?: string;
  op: TestOidcProvider;
  net: LoopbackServer;
  issuer: string;
  close(): Promise<void>;
}

export async function setupWithOp(opts: {
  method: TestOidcClient["token_endpoint_auth_method"];
  config?: Record<string, unknown>;
  roleRules?: Array<{ value: string; role: string }>;
  /** Another app mounting the gateway (embedded-mode tests); default: the standalone app. */
  t?: TestGateway;
}): Promise<OpHarness> {
  process.env.GATEWAY_LOCAL = "1"; // lets the RP talk http to 127.0.0.1 (the SSRF guard's named opt-in)
  const net = await startLoopbackServer();
  const issuer = `${net.origin}/_idp/oidc`;
  const t = opts.t ?? newGateway();
  const groupId = await seedGroupAndApp(t);
  const secret = opts.method === "private_key_jwt" ? undefined : "s3cret-for-tests-0123456789";
  const saved = await t.action(internal.oidc.admin.saveConnection, {
    groupId,
    name: "Test OP",
    config: {
      issuer,
      clientId: "gateway-rp",
      tokenEndpointAuthMethod: opts.method,
      ...(secret ? { clientSecret: secret } : {}),
      scopes: ["openid", "email", "profile", "groups"],
      ...opts.config,
    },
    ...(opts.roleRules ? { roleRules: opts.roleRules } : {}),
  });
  let clientJwks: { keys: Array<Record<string, unknown>> } | undefined;
  if (saved.jwksUri) {
    const res = await t.fetch(new URL(saved.jwksUri).pathname);
    expect(res.status).toBe(200);
    clientJwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
  }
  const op = await startTestOidcProvider({
    issuer,
    clients: [
      {
        client_id: "gateway-rp",
        ...(secret ? { client_secret: secret } : {}),
        redirect_uris: [saved.redirectUri],
        token_endpoint_auth_method: opts.method,
        ...(clientJwks ? { jwks: clientJwks } : {}),
      },
    ],
  });
  net.fallback = (req, res) => op.handle(req, res);
  return {
    t,
    groupId,
    connectionId: saved.connectionId,
    redirectUri: saved.redirectUri,
    ...(saved.jwksUri ? { jwksUri: saved.jwksUri } : {}),
    op,
    net,
    issuer,
    close: async () => {
      await op.close();
      await net.close();
    },
  };
}

/** Minimal cookie jar for the OP's interaction cookies. */
export class Browser {
  private jar = new Map<string, string>();
  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set("cookie", [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }
}

/** The app starts a sign-in at /sso/authorize; returns the OP authorization URL. */
export async function authorize(h: OpHarness, extra: Record<string, string> = {}): Promise<URL> {
  const { challenge } = await pkcePair();
  const q = new URLSearchParams({
    client_id: APP.clientId,
    redirect_uri: APP.redirectUri,
    response_type: "code",
    state: "app-state-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    connection: h.connectionId,
    ...extra,
  });
  const res = await h.t.fetch(`/sso/authorize?${q}`);
  if (res.status !== 302) throw new Error(`authorize: ${res.status} ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

/** A person signs in at the OP's login page; returns the callback URL the OP redirects to (not followed). */
export async function loginAtOp(
  authUrl: URL,
  person: { email: string; name?: string; groups?: string[]; deny?: boolean } = { email: "ada@acme.example" },
): Promise<URL> {
  const b = new Browser();
  let res = await b.get(authUrl.href);
  let loc = res.headers.get("location");
  if (!loc) throw new Error(`OP /auth: ${res.status} ${await res.text()}`);
  const interaction = new URL(loc, authUrl);
  res = await b.get(interaction.href);
  expect(res.status).toBe(200);
  const body = new URLSearchParams({ email: person.email, name: person.name ?? "" });
  for (const g of person.groups ?? []) body.append("groups", g);
  res = await b.get(`${interaction.href}/${person.deny ? "abort" : "login"}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
  loc = res.headers.get("location");
  if (!loc) throw new Error(`OP login: ${res.status} ${await res.text()}`);
  // Follow the OP's own redirects (resume) until it sends the browser to the gateway.
  for (let i = 0; i < 5; i++) {
    const next = new URL(loc, authUrl);
    if (next.origin === SITE) return next;
    res = await b.get(next.href);
    loc = res.headers.get("location");
    if (!loc) throw new Error(`OP resume: ${res.status} ${await res.text()}`);
  }
  throw new Error("too many redirects at the OP");
}

export async function callback(h: OpHarness, url: URL): Promise<Response> {
  return h.t.fetch(`${url.pathname}${url.search}`);
}

/** The sign-in rows (what a failed login must not touch). */
export async function counts(t: TestGateway) {
  return t.run(async (ctx) => ({
    users: (await ctx.db.query("users").collect()).length,
    identities: (await ctx.db.query("identities").collect()).length,
    memberships: (await ctx.db.query("memberships").collect()).length,
    sessions: (await ctx.db.query("sessions").collect()).length,
    authCodes: (await ctx.db.query("authCodes").collect()).length,
    usedStates: (await ctx.db.query("oidcStates").collect()).filter((s) => s.usedAt !== undefined).length,
    usedAuthRequests: (await ctx.db.query("authRequests").collect()).filter((r) => r.usedAt !== undefined).length,
    traces: (await ctx.db.query("ssoTraces").collect()).length,
  }));
}

/** Runs `act`, then asserts the only new rows are one ssoTraces row with `code` and its signin.failed event. */
export async function expectOnlyTrace(t: TestGateway, code: string, act: () => Promise<Response>) {
  const before = await snapshot(t);
  const res = await act();
  const after = await snapshot(t);
  const html = await res.text();
  expect(res.status).not.toBe(500);
  expect([400, 404, 502]).toContain(res.status);
  // One trace and its signin.failed event (docs/events.md), nothing else.
  expectOnlyTraceWritten(before, after);
  const trace = after.ssoTraces!.at(-1) as { code: string; detail: string; ref: string; protocol: string };
  expect(trace.protocol).toBe("oidc");
  expect(trace.code, trace.detail).toBe(code);
  expect(html).toContain(trace.ref);
  return { res, html, trace };
}

// ---------------------------------------------------------------------------------------------------------
// A fake OP we control, for crafted ID tokens (alg none, HMAC with the public key, wrong aud, rotated kid...).
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";

export interface FakeOp {
  net: LoopbackServer;
  issuer: string;
  key: { kid: string; privateKey: CryptoKey; publicJwk: JWK };
  /** Keys served at jwks_uri (mutable: rotate by pushing). */
  jwks: JWK[];
  /** Builds the token endpoint body for the current login; default: a valid ID token. */
  tokenResponse: (ctx: { nonce: string }) => Promise<{ status?: number; body: unknown }>;
  userinfo: Record<string, unknown> | undefined;
  /** The nonce of the last authorization URL (read by the test from the URL). */
  nonce: string;
}

export async function newSigningKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export function baseClaims(op: FakeOp, nonce: string, now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: op.issuer,
    aud: "gateway-rp",
    sub: "fake-sub-1",
    iat: now,
    exp: now + 300,
    nonce,
    email: "grace@acme.example",
    email_verified: true,
    name: "Grace Hopper",
    groups: ["Admins"],
  };
}

export async function signIdToken(claims: Record<string, unknown>, key: { kid: string; privateKey: CryptoKey }, alg = "RS256") {
  return new SignJWT(claims as never).setProtectedHeader({ alg, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
}

export async function startFakeOp(discoveryExtra: Record<string, unknown> = {}): Promise<FakeOp> {
  const net = await startLoopbackServer();
  const issuer = `${net.origin}/fake`;
  const key = await newSigningKey("fake-key-1");
  const op: FakeOp = {
    net,
    issuer,
    key,
    jwks: [key.publicJwk],
    nonce: "",
    userinfo: undefined,
    tokenResponse: async ({ nonce }) => ({
      body: { access_token: "at-1", token_type: "Bearer", expires_in: 300, id_token: await signIdToken(baseClaims(op, nonce), key) },
    }),
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  net.fallback = (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/fake/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/me`,
        id_token_signing_alg_values_supported: ["RS256"],
        ...discoveryExtra,
      });
    }
    if (path === "/fake/jwks") return send(res, 200, { keys: op.jwks });
    if (path === "/fake/me") {
      if (!op.userinfo) return send(res, 200, { sub: "fake-sub-1" });
      return send(res, 200, op.userinfo);
    }
    if (path === "/fake/token" && req.method === "POST") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        if (form.get("grant_type") !== "authorization_code" || !form.get("code") || !form.get("code_verifier")) {
          return send(res, 400, { error: "invalid_request" });
        }
        op.tokenResponse({ nonce: op.nonce }).then((r) => send(res, r.status ?? 200, r.body));
      });
      return;
    }
    res.writeHead(404).end();
  };
  return op;
}

export interface FakeHarness {
  t: TestGateway;
  groupId: Id<"groups">;
  connectionId: Id<"connections">;
  op: FakeOp;
  close(): Promise<void>;
}

export async function setupWithFakeOp(opts: {
  config?: Record<string, unknown> | ((op: FakeOp) => Record<string, unknown>);
  roleRules?: Array<{ value: string; role: string }>;
  discoveryExtra?: Record<string, unknown>;
} = {}): Promise<FakeHarness> {
  process.env.GATEWAY_LOCAL = "1";
  const op = await startFakeOp(opts.discoveryExtra);
  const t = newGateway();
  const groupId = await seedGroupAndApp(t);
  const saved = await t.action(internal.oidc.admin.saveConnection, {
    groupId,
    name: "Fake OP",
    config: {
      issuer: op.issuer,
      clientId: "gateway-rp",
      clientSecret: "fake-secret",
      ...(typeof opts.config === "function" ? opts.config(op) : opts.config),
    },
    ...(opts.roleRules ? { roleRules: opts.roleRules } : {}),
  });
  return { t, groupId, connectionId: saved.connectionId, op, close: () => op.net.close() };
}

/** /sso/authorize → the fake OP's URL; records the nonce; returns the callback URL the OP would send back. */
export async function fakeLogin(h: FakeHarness, params: Record<string, string> = {}): Promise<URL> {
  const authUrl = await authorize({ t: h.t, connectionId: h.connectionId } as OpHarness);
  h.op.nonce = authUrl.searchParams.get("nonce")!;
  const cb = new URL(authUrl.searchParams.get("redirect_uri")!);
  cb.searchParams.set("code", "fake-code-1");
  cb.searchParams.set("state", authUrl.searchParams.get("state")!);
  cb.searchParams.set("iss", h.op.issuer);
  for (const [k, v] of Object.entries(params)) cb.searchParams.set(k, v);
  return cb;
}

export async function fakeCallback(h: FakeHarness, url: URL): Promise<Response> {
  return h.t.fetch(`${url.pathname}${url.search}`);
}
