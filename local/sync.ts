// The Convex client sync protocol (convex/src/browser/sync/protocol.ts), server side, for the local engine: enough
// of it that the real ConvexClient / ConvexReactClient (`useQuery`, `useMutation`, `setAuth`) work against
// convex-test. Pure: one SyncSession per WebSocket turns client messages into server messages; the backend
// (verify a token, run a function) and the clock are injected. local/syncServer.ts is the WebSocket adapter.
//
// What it keeps of Convex's semantics:
// - Versions: every Transition goes from the session's current (querySet, identity, ts) to the next one, as the
//   client checks; ModifyQuerySet advances querySet, Authenticate advances identity (the client takes an
//   identity advance as "the server accepted the token"), commits advance ts.
// - Auth: a User token is verified by the backend (auth.config.ts providers, as Convex does); a bad one gets an
//   AuthError and the identity stays as it was; a token past its `exp` gets AuthError (authUpdateAttempted
//   false), as Convex's expiry check does, so the client refetches.
// - Reactivity: after every committed write (any transaction: a mutation over this socket, an HTTP sign-in, a
//   revocation) every subscribed query is run again and what changed is sent (simple and correct, no read sets).
//   A mutation's response carries the ts of its commit; the client resolves it once a Transition reaches it.
// - Errors: ConvexError data travels as errorData (the client rebuilds `ConvexError` with `.data`).
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { UserIdentity } from "convex/server";

export type FunctionKind = "query" | "mutation" | "action";

/** A failure of a function, shaped as Convex sends it: the message and, for ConvexError, its data. */
export interface FunctionFailure {
  message: string;
  data?: JSONValue;
}

/** A verified user: the identity Convex would give ctx.auth, and when the token stops being valid (ms). */
export interface VerifiedUser {
  identity: UserIdentity;
  expiresAt: number;
}

export interface SyncBackend {
  /** Verifies a user JWT as Convex does from auth.config.ts; throws an Error whose message says why. */
  authenticate(token: string): Promise<VerifiedUser>;
  /** Runs a PUBLIC function of the app (throws for anything else), with `identity` as ctx.auth. */
  run(kind: FunctionKind, udfPath: string, args: Record<string, Value>, identity: UserIdentity | null): Promise<Value>;
}

/** Every commit of the engine advances this; sessions send it as their state's `ts`. */
export interface CommitClock {
  ts(): bigint;
}

type EncodedVersion = { querySet: number; identity: number; ts: string };
type ClientMessage =
  | { type: "Connect"; sessionId: string }
  | { type: "Authenticate"; tokenType: "User" | "Admin" | "None"; value?: string; baseVersion: number }
  | { type: "ModifyQuerySet"; baseVersion: number; newVersion: number; modifications: Array<{ type: "Add"; queryId: number; udfPath: string; args: JSONValue[]; componentPath?: string } | { type: "Remove"; queryId: number }> }
  | { type: "Mutation" | "Action"; requestId: number; udfPath: string; args: JSONValue[]; componentPath?: string }
  | { type: "Event" };
type Modification =
  | { type: "QueryUpdated"; queryId: number; value: JSONValue; logLines: string[]; journal: null }
  | { type: "QueryFailed"; queryId: number; errorMessage: string; errorData: JSONValue; logLines: string[]; journal: null }
  | { type: "QueryRemoved"; queryId: number };
export type ServerMessage = Record<string, unknown> & { type: string };

/** A u64 timestamp on the wire: 8 bytes little-endian, base64 (protocol.ts longToU64). */
export function encodeTs(ts: bigint): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, ts, true);
  return btoa(String.fromCharCode(...bytes));
}

// OIDC standard claims Convex maps onto UserIdentity fields (camelCased); every other claim is kept as-is, except
// the JWT's own bookkeeping.
const STANDARD_CLAIMS: Record<string, string> = {
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};
const JWT_BOOKKEEPING = new Set(["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]);

/** The UserIdentity Convex builds from verified claims: tokenIdentifier `${iss}|${sub}`, standard claims camelCased. */
export function identityFromClaims(claims: Record<string, unknown>): UserIdentity {
  const iss = String(claims.iss ?? "");
  const sub = String(claims.sub ?? "");
  const identity: Record<string, unknown> = { tokenIdentifier: `${iss}|${sub}`, issuer: iss, subject: sub };
  for (const [key, value] of Object.entries(claims)) {
    if (JWT_BOOKKEEPING.has(key) || value === undefined) continue;
    const field = STANDARD_CLAIMS[key];
    if (field === "updatedAt" && typeof value === "number") identity[field] = new Date(value * 1000).toISOString();
    else if (field === "address" && typeof value === "object") identity[field] = JSON.stringify(value);
    else identity[field ?? key] = value;
  }
  return identity as unknown as UserIdentity;
}

/** ConvexError data (JSON) and message for a thrown value; anything else keeps its message only. */
export function failureOf(err: unknown): FunctionFailure {
  // The client prefixes "[CONVEX Q(path)]" itself; a dev deployment sends the uncaught error's text.
  const e = err as { name?: string; message?: string; data?: unknown };
  if (e && e.name === "ConvexError" && e.data !== undefined) {
    return { message: `Uncaught ConvexError: ${e.message}`, data: convexToJson(e.data as Value) };
  }
  return { message: `Uncaught Error: ${e?.message ?? String(err)}` };
}

interface Subscription {
  udfPath: string;
  args: Record<string, Value>;
  /** The last result sent (JSON text), to send only what changed. */
  last?: string;
}

/** One client connection's state: its query set, identity and version, fed one message at a time. */
export class SyncSession {
  private version = { querySet: 0, identity: 0, ts: 0n };
  private readonly queries = new Map<number, Subscription>();
  private user: VerifiedUser | null = null;
  private expiryReported = false;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly backend: SyncBackend,
    private readonly clock: CommitClock,
    private readonly send: (message: ServerMessage) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A client message (JSON text). Messages are handled one after the other, in order. */
  receive(text: string): Promise<void> {
    return this.enqueue(() => this.handle(JSON.parse(text) as ClientMessage));
  }

  /** Something committed: run the subscribed queries again and send what changed (and the new ts). */
  refresh(): Promise<void> {
    return this.enqueue(() => this.transition([], {}));
  }

  close() {
    this.closed = true;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(() => (this.closed ? undefined : step()));
    this.queue = next.catch((err) => {
      if (!this.closed) this.send({ type: "FatalError", error: String((err as Error)?.message ?? err) });
    });
    return next;
  }

  private async handle(msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case "Connect":
      case "Event":
        return;
      case "Authenticate":
        return this.authenticate(msg);
      case "ModifyQuerySet":
        return this.modifyQuerySet(msg);
      case "Mutation":
      case "Action":
        return this.request(msg);
      default:
        throw new Error(`unknown message type "${(msg as { type?: string }).type}"`);
    }
  }

  private async authenticate(msg: Extract<ClientMessage, { type: "Authenticate" }>) {
    if (msg.tokenType === "None") {
      this.user = null;
      return this.transition([], { identity: this.version.identity + 1 });
    }
    if (msg.tokenType !== "User" || !msg.value) {
      return this.send({ type: "AuthError", error: "only user tokens are accepted here", baseVersion: msg.baseVersion, authUpdateAttempted: true });
    }
    let user: VerifiedUser;
    try {
      user = await this.backend.authenticate(msg.value);
    } catch (err) {
      return this.send({ type: "AuthError", error: (err as Error).message, baseVersion: msg.baseVersion, authUpdateAttempted: true });
    }
    this.user = user;
    this.expiryReported = false;
    return this.transition([], { identity: this.version.identity + 1 });
  }

  private async modifyQuerySet(msg: Extract<ClientMessage, { type: "ModifyQuerySet" }>) {
    if (msg.baseVersion !== this.version.querySet) throw new Error(`query set version ${msg.baseVersion} does not follow ${this.version.querySet}`);
    const removed: Modification[] = [];
    for (const m of msg.modifications) {
      if (m.type === "Remove") {
        this.queries.delete(m.queryId);
        removed.push({ type: "QueryRemoved", queryId: m.queryId });
      } else {
        if (m.componentPath) throw new Error("a client cannot call a component's functions");
        this.queries.set(m.queryId, { udfPath: m.udfPath, args: decodeArgs(m.args) });
      }
    }
    return this.transition(removed, { querySet: msg.newVersion });
  }

  private async request(msg: Extract<ClientMessage, { type: "Mutation" | "Action" }>) {
    const kind = msg.type === "Mutation" ? "mutation" : "action";
    const responseType = msg.type === "Mutation" ? "MutationResponse" : "ActionResponse";
    if (this.expired()) this.reportExpiry(); // and the call runs signed out, as Convex runs it past `exp`
    try {
      if (msg.componentPath) throw new Error("a client cannot call a component's functions");
      const result = await this.backend.run(kind, msg.udfPath, decodeArgs(msg.args), this.identity());
      const done: ServerMessage = { type: responseType, requestId: msg.requestId, success: true, result: convexToJson(result ?? null), logLines: [] };
      // The commit this mutation made (or the current state, if it wrote nothing): the client completes the call
      // once a Transition reaches this ts.
      if (kind === "mutation") done.ts = encodeTs(this.clock.ts());
      this.send(done);
      // Nothing committed: a Transition at the current ts completes the call (after a commit, refresh() sends it).
      if (kind === "mutation" && this.clock.ts() === this.version.ts) await this.transition([], {}, true);
    } catch (err) {
      const failure = failureOf(err);
      this.send({ type: responseType, requestId: msg.requestId, success: false, result: failure.message, logLines: [], ...(failure.data !== undefined && { errorData: failure.data }) });
    }
  }

  /** What ctx.auth sees: the verified user until the token's `exp`, then nobody. */
  private identity(): UserIdentity | null {
    return this.user && !this.expired() ? this.user.identity : null;
  }

  private expired(): boolean {
    return this.user !== null && this.now() >= this.user.expiresAt;
  }

  private reportExpiry() {
    if (this.expiryReported) return;
    this.expiryReported = true;
    this.send({ type: "AuthError", error: "Token expired", baseVersion: this.version.identity, authUpdateAttempted: false });
  }

  /** Runs the queries (all of them when the identity or ts moved, else the new ones) and sends one Transition. */
  private async transition(extra: Modification[], next: { querySet?: number; identity?: number }, always = false) {
    if (this.expired()) this.reportExpiry();
    const ts = this.clock.ts();
    const end = { querySet: next.querySet ?? this.version.querySet, identity: next.identity ?? this.version.identity, ts };
    const rerunAll = end.identity !== this.version.identity || ts !== this.version.ts;
    const modifications = [...extra];
    for (const [queryId, sub] of this.queries) {
      if (!rerunAll && sub.last !== undefined) continue;
      const mod = await this.runQuery(queryId, sub);
      const text = JSON.stringify(mod);
      if (text === sub.last) continue;
      sub.last = text;
      modifications.push(mod);
    }
    if (!always && modifications.length === 0 && end.querySet === this.version.querySet && end.identity === this.version.identity && ts === this.version.ts) return;
    const start = this.version;
    this.version = end;
    this.send({ type: "Transition", startVersion: encodeVersion(start), endVersion: encodeVersion(end), modifications });
  }

  private async runQuery(queryId: number, sub: Subscription): Promise<Modification> {
    try {
      const value = await this.backend.run("query", sub.udfPath, sub.args, this.identity());
      return { type: "QueryUpdated", queryId, value: convexToJson(value ?? null), logLines: [], journal: null };
    } catch (err) {
      const failure = failureOf(err);
      return { type: "QueryFailed", queryId, errorMessage: failure.message, errorData: failure.data ?? null, logLines: [], journal: null };
    }
  }
}

function encodeVersion(v: { querySet: number; identity: number; ts: bigint }): EncodedVersion {
  return { querySet: v.querySet, identity: v.identity, ts: encodeTs(v.ts) };
}

/** The client sends `[convexToJson(args)]`. */
function decodeArgs(args: JSONValue[]): Record<string, Value> {
  if (!Array.isArray(args) || args.length !== 1 || typeof args[0] !== "object" || args[0] === null || Array.isArray(args[0])) {
    throw new Error("arguments must be one object");
  }
  return jsonToConvex(args[0]) as Record<string, Value>;
}
