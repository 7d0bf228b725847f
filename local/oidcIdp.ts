// A built-in OpenID Provider for the local gateway and the tests: node-oidc-provider, in-process, with a tiny
// login page (type any email and name, tick groups). Not for production: accounts live in memory, keys are
// generated at start, cookies are signed with a random key.
//
// Mounting (plain node:http server — the local gateway):
//   const idp = await startTestOidcProvider({ issuer: "http://127.0.0.1:3210/_idp/oidc", clients: [...] });
//   http.createServer((req, res) => {
//     if (req.url === idp.mountPath || req.url?.startsWith(idp.mountPath + "/") || req.url?.startsWith(idp.mountPath + "?")) {
//       return idp.handle(req, res);   // strips the mount path itself (like express' app.use(mountPath, ...))
//     }
//     ...gateway routes...
//   });
// idp.handle expects the FULL path (mount path included) and serves both the protocol routes and the login
// page. With express, do not use app.use(mountPath, …) (it strips the prefix); route by req.originalUrl instead.
// In the local gateway, `oidcLocalPlugin` (below) does all of this from the config's "oidc" entries.
//
// oidc-provider logs "Unsupported runtime" on Node 20; it works.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";
import { makeFunctionReference } from "convex/server";
import type { LocalPlugin, LocalPluginFactory } from "./plugins";
import { escapeHtml as esc } from "../src/component/lib/pages";
import { groupBySlug } from "../src/component/lib/lookups";

// oidc-provider ships no type declarations: it is used through this narrow interface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Provider = any;
const OIDC_PROVIDER_MODULE = "oidc-provider";
async function loadProvider(): Promise<new (issuer: string, config: unknown) => Provider> {
  const mod = (await import(OIDC_PROVIDER_MODULE)) as { default: new (issuer: string, config: unknown) => Provider };
  return mod.default;
}

export interface TestOidcClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: "client_secret_basic" | "client_secret_post" | "private_key_jwt";
  /** Public keys of the client for private_key_jwt (what /sso/oidc/{connection}/jwks.json publishes). */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** Alternative to `jwks`: fetched by the OP (must be reachable from this process). */
  jwks_uri?: string;
  /**
   * Local testing only: accept any redirect URI matching this pattern instead of the exact `redirect_uris`
   * (the setup portal's client, whose connections and so redirect URIs are created later).
   */
  redirect_uri_pattern?: RegExp;
}

export interface TestOidcProvider {
  issuer: string;
  /** The path part of the issuer ("" when the issuer has none), e.g. "/_idp/oidc". */
  mountPath: string;
  /** Node request listener for everything under mountPath (protocol endpoints and the login page). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The underlying oidc-provider instance (e.g. provider.Client.find, event listeners). */
  provider: Provider;
  close(): Promise<void>;
}

export const DEFAULT_GROUPS = ["Engineering", "Sales", "Admins", "Support"];

interface Account {
  accountId: string;
  email: string;
  name: string;
  groups: string[];
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new Error("form too large");
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function loginPage(opts: { action: string; abort: string; clientId: string; loginHint?: string; groups: string[] }): string {
  const boxes = opts.groups
    .map((g) => `<label><input type="checkbox" name="groups" value="${esc(g)}"> ${esc(g)}</label>`)
    .join("<br>");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test OIDC IdP — sign in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}input[type=text],input[type=email]{width:100%;padding:.4rem;margin:.2rem 0 .8rem}button{padding:.5rem 1rem}</style></head>
<body><h1>Test OIDC identity provider</h1>
<p>Signing in to <code>${esc(opts.clientId)}</code>. Any email and name are accepted — this IdP is for local testing only.</p>
<form method="post" action="${esc(opts.action)}">
<label>Email<br><input type="email" name="email" required value="${esc(opts.loginHint ?? "")}"></label>
<label>Name<br><input type="text" name="name"></label>
<fieldset><legend>Groups</legend>${boxes}<br><label>Other groups (comma separated)<br><input type="text" name="extraGroups"></label></fieldset>
<button type="submit" id="sign-in">Sign in</button>
</form>
<form method="post" action="${esc(opts.abort)}"><button type="submit" id="deny">Deny</button></form>
</body></html>`;
}

export async function startTestOidcProvider(opts: {
  issuer: string;
  clients: TestOidcClient[];
  groups?: string[];
}): Promise<TestOidcProvider> {
  const issuer = opts.issuer.replace(/\/+$/, "");
  const mountPath = new URL(issuer).pathname.replace(/\/+$/, "");
  const accounts = new Map<string, Account>();

  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: `test-${randomUUID().slice(0, 8)}`, alg: "RS256", use: "sig" };

  const toMetadata = (c: TestOidcClient) => ({
    client_id: c.client_id,
    ...(c.client_secret ? { client_secret: c.client_secret } : {}),
    redirect_uris: c.redirect_uris,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    ...(c.jwks ? { jwks: c.jwks } : {}),
    ...(c.jwks_uri ? { jwks_uri: c.jwks_uri } : {}),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    id_token_signed_response_alg: "RS256",
  });

  const ProviderClass = await loadProvider();
  const provider: Provider = new ProviderClass(issuer, {
    clients: opts.clients.map(toMetadata),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups"],
    },
    scopes: ["openid", "offline_access", "email", "profile", "groups"],
    // Put the scope's claims in the ID token as well (many enterprise OPs do); userinfo repeats them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${mountPath}/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { Session: 600, Interaction: 600, AccessToken: 600, AuthorizationCode: 120, IdToken: 600, Grant: 600 },
    async findAccount(_ctx: unknown, id: string) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: true, name: account.name, groups: account.groups };
        },
      };
    },
    renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>IdP error</title><h1>IdP error</h1><pre>${esc(JSON.stringify(out, null, 2))}</pre>`;
    },
  });

  const patterns = new Map(opts.clients.filter((c) => c.redirect_uri_pattern).map((c) => [c.client_id, c.redirect_uri_pattern!]));
  if (patterns.size) {
    // oidc-provider builds one Client class per provider instance; this changes only this test OP.
    const proto = (provider as unknown as { Client: { prototype: { clientId: string; redirectUriAllowed(v: string): boolean } } }).Client.prototype;
    const exact = proto.redirectUriAllowed;
    proto.redirectUriAllowed = function (value: string) {
      const pattern = patterns.get(this.clientId);
      return pattern ? pattern.test(value) : exact.call(this, value);
    };
  }

  const groups = opts.groups ?? DEFAULT_GROUPS;
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    const params = details.params as Record<string, string>;
    if (req.method === "GET" && !action) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(
        loginPage({
          action: `${mountPath}/interaction/${uid}/login`,
          abort: `${mountPath}/interaction/${uid}/abort`,
          clientId: String(params.client_id),
          ...(params.login_hint ? { loginHint: params.login_hint } : {}),
          groups,
        }),
      );
      return;
    }
    if (req.method === "POST" && action === "abort") {
      await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the user denied the sign-in" }, { mergeWithLastSubmission: false });
      return;
    }
    if (req.method === "POST" && action === "login") {
      const form = await readForm(req);
      const email = (form.get("email") ?? "").trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end("email is required");
        return;
      }
      const picked = [
        ...form.getAll("groups"),
        ...(form.get("extraGroups") ?? "").split(",").map((g) => g.trim()).filter(Boolean),
      ];
      const accountId = `u-${Buffer.from(email).toString("base64url")}`;
      accounts.set(accountId, { accountId, email, name: (form.get("name") ?? "").trim() || email.split("@")[0]!, groups: [...new Set(picked)] });
      const grant = new provider.Grant({ accountId, clientId: String(params.client_id) });
      grant.addOIDCScope(String(params.scope ?? "openid"));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(405, { "content-type": "text/plain" });
    res.end("method not allowed");
  }

  const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const original = req.url ?? "/";
    if (mountPath && !(original === mountPath || original.startsWith(mountPath + "/") || original.startsWith(mountPath + "?"))) {
      res.writeHead(404).end();
      return;
    }
    const inner = original.slice(mountPath.length) || "/";
    const path = inner.split("?")[0]!;
    const m = INTERACTION.exec(path);
    if (m) {
      interaction(req, res, m[1]!, m[2]).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
        res.end(`interaction failed: ${(e as Error).message}`);
      });
      return;
    }
    // Same contract as express' app.use(mountPath, provider.callback()): url relative, originalUrl full.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
    req.url = inner;
    void callback(req, res);
  }

  return {
    issuer,
    mountPath,
    handle,
    provider,
    async close() {
      accounts.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Local gateway plug-in: the demo group's built-in OIDC IdP. Register with `localPlugins.push(oidcLocalPlugin)`
// (local/plugins.ts). Reads `oidc` entries from the local config:
//   "oidc": [{ "group": "demo", "name": "Built-in OIDC IdP", "preset": "generic",
//              "tokenEndpointAuthMethod": "client_secret_basic",
//              "roleRules": [{ "value": "Admins", "role": "admin" }] }]
// Each entry gets an oidc-provider mounted at /_idp/oidc (first entry) or /_idp/oidc-<n>, a connection
// pointing at it (upserted by name, secret re-generated at every start), and a "Sign in with OIDC" button.

interface LocalOidcEntry {
  group: string;
  name?: string;
  preset?: string;
  tokenEndpointAuthMethod?: TestOidcClient["token_endpoint_auth_method"];
  roleRules?: Array<{ value: string; role: string }>;
  groups?: string[];
  label?: string;
}

/** A fixed client of the built-in OP for connections made in the setup portal (local testing only, not a secret). */
export const PORTAL_CLIENT = { clientId: "portal-setup", clientSecret: "portal-setup-local-secret" };

export const oidcLocalPlugin: LocalPluginFactory = async ({ engine, config, baseUrl }) => {
  const entries = (config.oidc ?? []) as unknown as LocalOidcEntry[];
  if (!entries.length) return null;
  const idps: TestOidcProvider[] = [];
  const buttons: NonNullable<LocalPlugin["buttons"]> = [];
  const banner: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const mount = i === 0 ? "/_idp/oidc" : `/_idp/oidc-${i + 1}`;
    const issuer = `${baseUrl}${mount}`;
    const name = entry.name ?? "Built-in OIDC IdP";
    const method = entry.tokenEndpointAuthMethod ?? "client_secret_basic";
    const clientId = `gateway-local-${i + 1}`;
    const found = await engine.run(async (ctx) => {
      const group = await groupBySlug(ctx, entry.group);
      if (!group) return null;
      const conns = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", group._id)).take(50);
      return { groupId: group._id, existing: conns.find((c) => c.kind === "oidc" && c.name === name)?._id };
    });
    if (!found) throw new Error(`local config: oidc[${i}].group "${entry.group}" is not a group`);
    const secret = method === "private_key_jwt" ? undefined : randomBytes(24).toString("base64url");
    const saved = (await engine.action(makeFunctionReference<"action">("oidc/admin:saveConnection"), {
      groupId: found.groupId,
      name,
      ...(found.existing ? { connectionId: found.existing } : {}),
      config: {
        issuer,
        clientId,
        preset: entry.preset ?? "generic",
        tokenEndpointAuthMethod: method,
        ...(secret ? { clientSecret: secret } : {}),
        scopes: ["openid", "email", "profile", "groups"],
      },
      ...(entry.roleRules ? { roleRules: entry.roleRules } : {}),
    })) as { connectionId: string; redirectUri: string; jwksUri?: string };
    let jwks: TestOidcClient["jwks"];
    if (saved.jwksUri) {
      const res = await engine.fetch(new URL(saved.jwksUri).pathname);
      jwks = (await res.json()) as TestOidcClient["jwks"];
    }
    const idp = await startTestOidcProvider({
      issuer,
      clients: [
        { client_id: clientId, ...(secret ? { client_secret: secret } : {}), redirect_uris: [saved.redirectUri], token_endpoint_auth_method: method, ...(jwks ? { jwks } : {}) },
        // For connections an IT admin sets up in the setup portal against this OP (any /sso/oidc/*/callback here).
        ...(i === 0
          ? [{
              client_id: PORTAL_CLIENT.clientId,
              client_secret: PORTAL_CLIENT.clientSecret,
              redirect_uris: [`${baseUrl}/sso/oidc/portal/callback`],
              token_endpoint_auth_method: "client_secret_basic" as const,
              redirect_uri_pattern: new RegExp(`^${baseUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/sso/oidc/[A-Za-z0-9]+/callback$`),
            }]
          : []),
      ],
      ...(entry.groups ? { groups: entry.groups } : {}),
    });
    idps.push(idp);
    buttons.push({ label: entry.label ?? (i === 0 ? "Sign in with OIDC" : `Sign in with OIDC (${name})`), authorizeQuery: { connection: saved.connectionId } });
    banner.push(`  OIDC test IdP      ${issuer}  (any email; connection ${saved.connectionId}, group ${entry.group})`);
    if (i === 0) banner.push(`                     for the setup portal: client ID ${PORTAL_CLIENT.clientId}, secret ${PORTAL_CLIENT.clientSecret}`);
  }
  return {
    prefix: "/_idp/oidc",
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0]!;
      // Longest mount first (/_idp/oidc-2 before /_idp/oidc).
      const idp = [...idps].sort((a, b) => b.mountPath.length - a.mountPath.length).find((p) => path === p.mountPath || path.startsWith(p.mountPath + "/"));
      if (!idp) return void res.writeHead(404).end();
      idp.handle(req, res);
    },
    buttons,
    banner,
    async close() {
      for (const p of idps) await p.close();
    },
  };
};
