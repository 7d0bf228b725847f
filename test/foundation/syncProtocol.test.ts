// The local engine's Convex sync endpoint (local/sync.ts + local/syncServer.ts) against the real ConvexClient from
// convex/browser, over a real WebSocket: the local gateway serves examples/react-app (embedded mode, the component
// from the packed package), whose projects:list is guarded by requireGrant. Subscribe, auth change, a mutation
// then the updated query (in the same tick the mutation resolves), ConvexError data, refused tokens, internal
// functions out of reach, revocation reaching a live subscription.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvexClient } from "convex/browser";
import { ConvexError, type Value } from "convex/values";
import { makeFunctionReference } from "convex/server";
import { WebSocket } from "ws";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { encodeTs, identityFromClaims, SyncSession, type ServerMessage, type SyncBackend } from "../../local/sync";
import { devSignInOverHttp } from "./localHttp";

const EXAMPLE = join(import.meta.dirname, "..", "..", "examples", "react-app");
const APP = { clientId: "example-react-app", redirectUri: "http://127.0.0.1:5173/callback" };
const list = makeFunctionReference<"query", Record<string, never>, Array<{ id: string; name: string; createdBy: string }>>("projects:list");
const create = makeFunctionReference<"mutation", { name: string }, string>("projects:create");

let gw: LocalGateway;
const clients: ConvexClient[] = [];

function client(): ConvexClient {
  const c = new ConvexClient(gw.url, { webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket, unsavedChangesWarning: false });
  clients.push(c);
  return c;
}

/** Every result and error of one subscription, in order. */
function watch(c: ConvexClient) {
  const seen: Array<{ value?: Value; error?: unknown }> = [];
  c.onUpdate(list, {}, (value) => void seen.push({ value }), (error) => void seen.push({ error }));
  return { seen, last: () => seen.at(-1) };
}

const kindOf = (e: unknown) => (e instanceof ConvexError ? (e.data as { kind?: string }).kind : `not a ConvexError: ${String(e)}`);

/** setAuth, resolved with what the client concluded (true: the server confirmed the token). */
function authenticate(c: ConvexClient, token: string): Promise<boolean> {
  return new Promise((ok) => c.setAuth(async () => token, ok));
}

describe("Convex sync protocol on the local engine (examples/react-app)", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-sync-"));
    gw = await startLocalGateway({ port: 0, dataDir: join(dir, "data"), quiet: true, appDir: EXAMPLE });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw?.close();
  });

  it("signed out: the guarded query fails with the guard's ConvexError data; signed in it returns the group's projects", async () => {
    const c = client();
    const sub = watch(c);
    await expect.poll(() => sub.last(), { timeout: 10_000 }).toBeTruthy();
    expect(kindOf(sub.last()!.error)).toBe("Unauthenticated");

    const admin = await devSignInOverHttp(gw.url, "ada@demo.example", "admin", APP);
    expect(await authenticate(c, admin.access_token)).toBe(true);
    await expect.poll(() => sub.last()?.value, { timeout: 10_000 }).toEqual([]);

    // The mutation resolves only once the subscribed query reflects it (a Transition at the commit's ts).
    const id = await c.mutation(create, { name: "Apollo" });
    expect(sub.last()?.value).toEqual([{ id, name: "Apollo", createdBy: "ada@demo.example" }]);

    // A member reads the group's projects but may not write: MissingGrant, as data, for the UI to explain.
    const m = client();
    const member = await devSignInOverHttp(gw.url, "mary@demo.example", "member", APP);
    expect(await authenticate(m, member.access_token)).toBe(true);
    expect(await m.query(list, {})).toEqual([{ id, name: "Apollo", createdBy: "ada@demo.example" }]);
    const refused = await m.mutation(create, { name: "Gemini" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConvexError);
    expect((refused as ConvexError<{ kind: string; required: string }>).data).toMatchObject({ kind: "MissingGrant", required: "projects:write" });
    expect(await c.query(list, {})).toHaveLength(1); // nothing written

    // Revocation (sign-out) is a commit: the admin's live subscription runs again and is refused at once.
    const revoked = await fetch(`${gw.url}/oauth/revoke`, { method: "POST", body: new URLSearchParams({ token: admin.refresh_token, client_id: APP.clientId }) });
    expect(revoked.status).toBe(200);
    await expect.poll(() => kindOf(sub.last()?.error), { timeout: 10_000 }).toBe("SessionRevoked");
  }, 30_000);

  it("refuses tokens Convex would refuse: bad signature, another app's audience; the identity stays signed out", async () => {
    const good = await devSignInOverHttp(gw.url, "grace@demo.example", "admin", APP);
    const [h, p, s] = good.access_token.split(".");
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    const c = client();
    expect(await authenticate(c, tampered)).toBe(false);
    const other = await devSignInOverHttp(gw.url, "grace@demo.example", "admin"); // demo-app: aud "demo-app"
    const c2 = client();
    expect(await authenticate(c2, other.access_token)).toBe(false);
    expect(kindOf(await c2.query(list, {}).catch((e: unknown) => e))).toBe("Unauthenticated");
  }, 30_000);

  it("reaches only the app's public functions: internal ones and the component's are not found", async () => {
    const c = client();
    const internalAction = makeFunctionReference<"action">("samlNode:validateResponse");
    expect(String(await c.action(internalAction, {}).catch((e: unknown) => e))).toContain("Could not find public function for 'samlNode:validateResponse'");
    const wrongKind = makeFunctionReference<"mutation">("projects:list");
    expect(String(await c.mutation(wrongKind, {}).catch((e: unknown) => e))).toContain("Could not find public function");
    const traversal = makeFunctionReference<"query">("../../local/convex/localDev:signIn");
    expect(String(await c.query(traversal, {}).catch((e: unknown) => e))).toContain("Could not find public function");
  }, 30_000);
});

describe("sync protocol cores", () => {
  it("maps claims as Convex does: tokenIdentifier iss|sub, standard claims camelCased, custom claims as-is, JWT bookkeeping dropped", () => {
    const identity = identityFromClaims({
      iss: "http://127.0.0.1:1",
      sub: "u1",
      aud: "app",
      exp: 2,
      iat: 1,
      email: "a@b.example",
      email_verified: true,
      given_name: "Ada",
      preferred_username: "ada",
      updated_at: 0,
      group: "demo",
      roles: ["admin"],
    });
    expect(identity).toEqual({
      tokenIdentifier: "http://127.0.0.1:1|u1",
      issuer: "http://127.0.0.1:1",
      subject: "u1",
      email: "a@b.example",
      emailVerified: true,
      givenName: "Ada",
      preferredUsername: "ada",
      updatedAt: "1970-01-01T00:00:00.000Z",
      group: "demo",
      roles: ["admin"],
    });
  });

  it("encodes timestamps as the client decodes them (u64 little-endian, base64)", () => {
    expect(encodeTs(1n)).toBe("AQAAAAAAAAA=");
    expect(encodeTs(0x0102n)).toBe("AgEAAAAAAAA=");
  });

  it("a session's Transitions chain versions; a write-free mutation still completes; past `exp` the query runs signed out and the client hears AuthError once", async () => {
    let now = 1_000;
    let ts = 5n;
    const backend: SyncBackend = {
      authenticate: async (token) => {
        if (token !== "good") throw new Error("bad token");
        return { identity: identityFromClaims({ iss: "i", sub: "s" }), expiresAt: 2_000 };
      },
      run: async (_kind, udfPath, _args, identity) => (udfPath === "who:me" ? (identity?.subject ?? null) : "ok"),
    };
    const sent: ServerMessage[] = [];
    const session = new SyncSession(backend, { ts: () => ts }, (m) => void sent.push(m), () => now);
    const versions = () => sent.filter((m) => m.type === "Transition").map((m) => [m.startVersion, m.endVersion] as Array<{ querySet: number; identity: number; ts: string }>);

    await session.receive(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [{ type: "Add", queryId: 0, udfPath: "who:me", args: [{}] }] }));
    await session.receive(JSON.stringify({ type: "Authenticate", tokenType: "User", value: "bad", baseVersion: 0 }));
    expect(sent.at(-1)).toEqual({ type: "AuthError", error: "bad token", baseVersion: 0, authUpdateAttempted: true });
    await session.receive(JSON.stringify({ type: "Authenticate", tokenType: "User", value: "good", baseVersion: 0 }));
    expect(sent.at(-1)).toMatchObject({ type: "Transition", modifications: [{ type: "QueryUpdated", queryId: 0, value: "s" }] });

    await session.receive(JSON.stringify({ type: "Mutation", requestId: 7, udfPath: "m:noop", args: [{}] }));
    expect(sent.at(-2)).toMatchObject({ type: "MutationResponse", requestId: 7, success: true, result: "ok", ts: encodeTs(5n) });
    expect(sent.at(-1)).toMatchObject({ type: "Transition", modifications: [] }); // completes the call at ts 5

    ts = 6n;
    now = 2_000; // the token's exp
    await session.refresh();
    expect(sent.filter((m) => m.type === "AuthError" && m.authUpdateAttempted === false)).toHaveLength(1);
    expect(sent.at(-1)).toMatchObject({ type: "Transition", modifications: [{ type: "QueryUpdated", queryId: 0, value: null }] });
    ts = 7n;
    await session.refresh();
    expect(sent.filter((m) => m.type === "AuthError" && m.authUpdateAttempted === false)).toHaveLength(1);

    const chain = versions();
    for (let i = 1; i < chain.length; i++) expect(chain[i]![0]).toEqual(chain[i - 1]![1]);
    expect(chain[0]![0]).toEqual({ querySet: 0, identity: 0, ts: encodeTs(0n) });
    expect(chain.at(-1)![1]).toEqual({ querySet: 1, identity: 1, ts: encodeTs(7n) });
  });

  it("a query set out of order is a FatalError, not a silent divergence", async () => {
    const sent: ServerMessage[] = [];
    const session = new SyncSession({ authenticate: async () => ({ identity: identityFromClaims({}), expiresAt: Infinity }), run: async () => null }, { ts: () => 1n }, (m) => void sent.push(m));
    await session.receive(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 3, newVersion: 4, modifications: [] })).catch(() => undefined);
    await Promise.resolve();
    expect(sent.at(-1)).toMatchObject({ type: "FatalError" });
  });
});
