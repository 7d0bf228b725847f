// The framework-free browser client of the gateway: sign-in with PKCE (S256) and state, the callback with the
// RFC 9207 `iss` check, a `fetchAccessToken` in the shape ConvexReactClient.setAuth expects, refresh-token
// rotation coordinated across tabs, and sign-out with revocation (RFC 7009).
import { decodeClaims, type SsoClaims } from "./claims";
import { SsoError } from "./errors";
import { storageTabLock, webLocksTabLock, type TabLock } from "./lock";
import { pkcePair, randomString } from "./pkce";
import { readJson, type SsoStorage } from "./storage";

/** Which IdP to use: home-realm discovery by email domain, a group's slug, or a connection id. */
export type SignInTarget = ({ email: string } | { group: string } | { connection: string }) & {
  /** Where handleCallback sends the browser after sign-in (default: the page signIn was called on). */
  returnTo?: string;
};

export type SsoState =
  | { status: "loading" }
  | { status: "signedOut"; error?: SsoError }
  | { status: "signedIn"; claims: SsoClaims; expiresAt: number };

/** The subset of BroadcastChannel the client uses (injectable for tests). */
export interface SsoChannel {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  close?(): void;
}

export interface SsoClientOptions {
  /** The gateway's site URL (the `iss` of its tokens), e.g. https://example.convex.site. */
  issuer: string;
  clientId: string;
  /** Registered for the app in the gateway, exactly. */
  redirectUri: string;
  /** Tokens, shared by the tabs of the origin. Default: localStorage. */
  storage?: SsoStorage;
  /** Pending sign-ins (PKCE verifier, state), per tab. Default: sessionStorage, else `storage`. */
  pendingStorage?: SsoStorage;
  /** Prefix of the storage keys. Default: `sso:{clientId}`. */
  storageKey?: string;
  fetch?: typeof fetch;
  crypto?: Crypto;
  now?: () => number;
  /** Default: location.assign. */
  navigate?: (url: string) => void;
  /** Default: Web Locks where present, else a lease in `storage`. */
  lock?: TabLock;
  /** Tells other tabs that tokens changed. Default: a BroadcastChannel where present; null disables it. */
  channel?: SsoChannel | null;
  /** An access token this close to expiry is refreshed before it is handed out. Default 60 s. */
  refreshLeewayMs?: number;
  /** A sign-in not completed within this time is forgotten. Default 10 min (the gateway's own limit). */
  pendingTtlMs?: number;
}

export interface SsoClient {
  readonly issuer: string;
  readonly clientId: string;
  getState(): SsoState;
  /** Called on every change of state, in this tab or (through shared storage) another one. Returns unsubscribe. */
  onChange(listener: (state: SsoState) => void): () => void;
  /** Starts a sign-in: stores the PKCE verifier under a fresh state and navigates to /sso/authorize. */
  signIn(target: SignInTarget): Promise<string>;
  /** Whether `url` (default: the current location) is a sign-in callback for this client. */
  isCallback(url?: string): boolean;
  /**
   * Completes a sign-in on the redirect URI: checks state and iss, exchanges the code. Without `url` it reads
   * the current location and then removes the code from the address bar. Throws SsoError.
   */
  handleCallback(url?: string): Promise<{ returnTo: string | null }>;
  /** For ConvexReactClient.setAuth / ConvexProviderWithAuth: the access token, refreshed when due or forced. */
  fetchAccessToken(args: { forceRefreshToken: boolean }): Promise<string | null>;
  /** Forces one refresh (coordinated with other tabs); resolves with the new state. */
  refresh(): Promise<SsoState>;
  /** Forgets the tokens in every tab and revokes the session at the gateway. */
  signOut(): Promise<{ revoked: boolean }>;
  /** Removes the client's listeners (storage event, channel). */
  dispose(): void;
}

interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Increases with every rotation (ms-based, so a new sign-in is newer than any earlier session's). */
  generation?: number;
  /** ms, by this browser's clock (now + expires_in), so clock skew with the gateway does not matter. */
  expiresAt: number;
}

interface PendingSignIn {
  verifier: string;
  returnTo: string | null;
  createdAt: number;
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export function createSsoClient(options: SsoClientOptions): SsoClient {
  const issuer = options.issuer.replace(/\/+$/, "");
  const { clientId, redirectUri } = options;
  const g = globalThis as typeof globalThis & { localStorage?: Storage; sessionStorage?: Storage };
  const storage = options.storage ?? g.localStorage;
  if (!storage) throw new TypeError("createSsoClient: no localStorage here; pass `storage`");
  const pendingStorage = options.pendingStorage ?? g.sessionStorage ?? storage;
  const prefix = options.storageKey ?? `sso:${clientId}`;
  const tokensKey = `${prefix}:tokens`;
  const pendingKey = `${prefix}:pending`;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const crypto = options.crypto ?? globalThis.crypto;
  const now = options.now ?? Date.now;
  const navigate = options.navigate ?? ((url: string) => globalThis.location.assign(url));
  const leewayMs = options.refreshLeewayMs ?? 60_000;
  const pendingTtlMs = options.pendingTtlMs ?? 10 * 60_000;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const lock =
    options.lock ??
    (locks ? webLocksTabLock(locks) : storageTabLock(storage, { now, randomId: () => randomString(crypto, 12) }));
  const lockName = `convex-sso-gateway:refresh:${issuer}:${clientId}`;
  const channel =
    options.channel !== undefined
      ? options.channel
      : typeof BroadcastChannel !== "undefined"
        ? new BroadcastChannel(`convex-sso-gateway:${prefix}`)
        : null;

  // ---- state -------------------------------------------------------------------------------------------
  const listeners = new Set<(state: SsoState) => void>();
  let lastError: SsoError | undefined;
  let loading = 0;
  /** The refresh token of the generation whose access token this tab last handed out. */
  let handedOutGeneration: string | null = null;

  const readTokens = () => readJson<StoredTokens>(storage, tokensKey);

  function computeState(): SsoState {
    if (loading > 0) return { status: "loading" };
    const tokens = readTokens();
    const claims = tokens && decodeClaims(tokens.accessToken);
    if (tokens && claims) return { status: "signedIn", claims, expiresAt: tokens.expiresAt };
    return lastError ? { status: "signedOut", error: lastError } : { status: "signedOut" };
  }

  let state = computeState();
  const fingerprint = (s: SsoState) =>
    s.status === "signedIn" ? `in:${s.claims.sid}:${s.claims.iat}:${s.expiresAt}` : s.status === "signedOut" ? `out:${s.error?.code ?? ""}` : s.status;

  /** Recomputes the state from storage and tells the listeners when it changed. */
  function sync() {
    const next = computeState();
    if (fingerprint(next) === fingerprint(state)) return;
    state = next;
    for (const listener of [...listeners]) listener(state);
  }

  function writeTokens(tokens: StoredTokens | null) {
    if (tokens) storage!.setItem(tokensKey, JSON.stringify(tokens));
    else storage!.removeItem(tokensKey);
    channel?.postMessage({ type: "tokens" });
    sync();
  }

  const onStorage = (event: StorageEvent) => {
    if (event.key === null || event.key === tokensKey) sync();
  };
  const onMessage = () => sync();
  const win = globalThis as { addEventListener?: typeof addEventListener; removeEventListener?: typeof removeEventListener };
  win.addEventListener?.("storage", onStorage);
  channel?.addEventListener("message", onMessage);

  // ---- the token endpoint --------------------------------------------------------------------------------
  async function tokenRequest(params: Record<string, string>): Promise<StoredTokens> {
    let response: Response;
    try {
      response = await doFetch(`${issuer}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ client_id: clientId, ...params }),
      });
    } catch {
      throw new SsoError("network_error", "the gateway's token endpoint could not be reached");
    }
    const body = (await response.json().catch(() => null)) as Partial<TokenResponse & { error: string; error_description: string }> | null;
    if (!response.ok) {
      if (body && typeof body.error === "string") {
        throw new SsoError("token_request_failed", `${body.error}: ${body.error_description ?? ""}`.trim(), body.error);
      }
      throw new SsoError("network_error", `the token endpoint answered HTTP ${response.status}`);
    }
    if (!body || typeof body.access_token !== "string" || typeof body.refresh_token !== "string" || typeof body.expires_in !== "number") {
      throw new SsoError("network_error", "the token endpoint's answer lacks access_token, refresh_token or expires_in");
    }
    return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresAt: now() + body.expires_in * 1000, generation: now() };
  }

  async function revokeToken(refreshToken: string): Promise<boolean> {
    try {
      const response = await doFetch(`${issuer}/oauth/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: clientId, token: refreshToken, token_type_hint: "refresh_token" }),
      });
      return response.ok;
    } catch {
      return false;
    }
  }

  /**
   * The stored tokens once this tab's view of storage has caught up with the newest rotation announced under
   * the lock (a few ms in practice; bounded, after which the gateway's reuse grace window is the safety net).
   */
  async function readTokensCaughtUp(): Promise<StoredTokens | null> {
    const announced = (await lock.announced?.(lockName)) ?? 0;
    let tokens = readTokens();
    for (let tries = 0; tokens && (tokens.generation ?? 0) < announced && tries < 500; tries++) {
      await new Promise((ok) => setTimeout(ok, 10));
      tokens = readTokens();
    }
    return tokens;
  }

  /**
   * Rotates `stale` under the cross-tab lock. Inside the lock the stored tokens are read again: when another
   * tab has already rotated them, its tokens are used and nothing is sent (a second use of a spent refresh
   * token would be reuse).
   */
  function refreshUnderLock(stale: string): Promise<StoredTokens | null> {
    return lock.run(lockName, async () => {
      const current = await readTokensCaughtUp();
      if (!current) return null; // signed out meanwhile
      if (current.refreshToken !== stale) {
        sync();
        return current;
      }
      let fresh: StoredTokens;
      try {
        fresh = await tokenRequest({ grant_type: "refresh_token", refresh_token: stale });
      } catch (err) {
        if (err instanceof SsoError && err.code === "token_request_failed") {
          // invalid_grant: the session ended (revoked, expired, signed out elsewhere). Forget it everywhere.
          lastError = err;
          writeTokens(null);
          return null;
        }
        throw err; // network: keep the tokens, a later call retries
      }
      if (readTokens()?.refreshToken !== stale) {
        // Signed out while the request was in flight: do not resurrect the session; end it at the gateway.
        await revokeToken(fresh.refreshToken);
        return null;
      }
      lastError = undefined;
      fresh.generation = Math.max(now(), (current.generation ?? 0) + 1);
      writeTokens(fresh);
      await lock.announce?.(lockName, fresh.generation);
      return fresh;
    });
  }

  // ---- pending sign-ins (per tab) ---------------------------------------------------------------------
  function readPending(): Record<string, PendingSignIn> {
    const all = readJson<Record<string, PendingSignIn>>(pendingStorage, pendingKey) ?? {};
    const live: Record<string, PendingSignIn> = {};
    for (const [state, p] of Object.entries(all)) if (p && now() - p.createdAt < pendingTtlMs) live[state] = p;
    return live;
  }
  function writePending(all: Record<string, PendingSignIn>) {
    if (Object.keys(all).length) pendingStorage.setItem(pendingKey, JSON.stringify(all));
    else pendingStorage.removeItem(pendingKey);
  }
  /** Single use: the entry is removed whether or not the rest of the callback succeeds. */
  function takePending(state: string): PendingSignIn | null {
    const all = readPending();
    const found = Object.prototype.hasOwnProperty.call(all, state) ? all[state]! : null;
    delete all[state];
    writePending(all);
    return found;
  }

  /** Takes the code out of the address bar. A cross-origin `returnTo` is refused by the browser: ignored. */
  function replaceAddress(path: string) {
    try {
      if (typeof history !== "undefined") history.replaceState(null, "", path);
    } catch {
      /* SecurityError: stay on the callback path */
    }
  }

  const callbacksInFlight = new Map<string, Promise<{ returnTo: string | null }>>();

  async function completeCallback(url: string): Promise<{ returnTo: string | null }> {
    const params = new URL(url).searchParams;
    const code = params.get("code");
    const error = params.get("error");
    const returnedState = params.get("state");
    const iss = params.get("iss");
    if (code === null && error === null) throw new SsoError("invalid_callback", "the callback carries neither code nor error");
    const pending = returnedState === null ? null : takePending(returnedState);
    if (!pending) throw new SsoError("state_mismatch", "the callback's state matches no sign-in started in this browser tab");
    // RFC 9207 §2.4: the gateway advertises authorization_response_iss_parameter_supported, so iss is required
    // on a code and must equal the issuer the request was sent to.
    if (iss !== null && iss !== issuer) throw new SsoError("iss_mismatch", `the callback's iss is not ${issuer}`);
    if (error !== null) {
      const description = params.get("error_description");
      throw new SsoError("authorization_failed", description ? `${error}: ${description}` : error, error);
    }
    if (iss === null) throw new SsoError("iss_mismatch", "the callback has no iss parameter (RFC 9207)");
    const tokens = await tokenRequest({ grant_type: "authorization_code", code: code!, redirect_uri: redirectUri, code_verifier: pending.verifier });
    lastError = undefined;
    writeTokens(tokens);
    return { returnTo: pending.returnTo };
  }

  const client: SsoClient = {
    issuer,
    clientId,
    getState: () => state,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    async signIn(target) {
      const { verifier, challenge } = await pkcePair(crypto);
      const stateValue = randomString(crypto, 24);
      const here = (globalThis as { location?: Location }).location;
      const returnTo = target.returnTo ?? (here ? here.pathname + here.search + here.hash : null);
      writePending({ ...readPending(), [stateValue]: { verifier, returnTo, createdAt: now() } });
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        state: stateValue,
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      if ("email" in target) query.set("login_hint", target.email);
      else if ("group" in target) query.set("group", target.group);
      else query.set("connection", target.connection);
      const url = `${issuer}/sso/authorize?${query}`;
      navigate(url);
      return url;
    },

    isCallback(url) {
      const href = url ?? (globalThis as { location?: Location }).location?.href;
      if (!href) return false;
      const u = new URL(href);
      const r = new URL(redirectUri);
      return u.origin === r.origin && u.pathname === r.pathname && (u.searchParams.has("code") || u.searchParams.has("error"));
    },

    handleCallback(url) {
      const fromLocation = url === undefined;
      const href = url ?? globalThis.location.href;
      // React StrictMode runs effects twice: the second call joins the first instead of failing on state.
      let inFlight = callbacksInFlight.get(href);
      if (!inFlight) {
        loading++;
        sync();
        inFlight = completeCallback(href)
          .catch((err: unknown) => {
            lastError = err instanceof SsoError ? err : new SsoError("network_error", String(err));
            throw lastError;
          })
          .finally(() => {
            loading--;
            sync();
            if (fromLocation) replaceAddress(new URL(href).pathname);
          });
        callbacksInFlight.set(href, inFlight);
      }
      return inFlight.then((result) => {
        if (fromLocation && result.returnTo) replaceAddress(result.returnTo);
        return result;
      });
    },

    async fetchAccessToken({ forceRefreshToken }) {
      const tokens = readTokens();
      if (!tokens) return null;
      const fresh = tokens.expiresAt - leewayMs > now();
      // A forced refresh after another tab already rotated: the stored generation is newer than the one
      // handed out, so it is what the caller needs.
      const rotatedElsewhere = handedOutGeneration !== null && tokens.refreshToken !== handedOutGeneration;
      if (fresh && (!forceRefreshToken || rotatedElsewhere)) {
        handedOutGeneration = tokens.refreshToken;
        return tokens.accessToken;
      }
      try {
        const next = await refreshUnderLock(tokens.refreshToken);
        handedOutGeneration = next?.refreshToken ?? null;
        return next?.accessToken ?? null;
      } catch {
        return null; // unreachable gateway: Convex treats null as signed out for now; the tokens are kept
      }
    },

    async refresh() {
      const tokens = readTokens();
      if (tokens) await refreshUnderLock(tokens.refreshToken);
      return state;
    },

    async signOut() {
      const tokens = readTokens();
      lastError = undefined;
      handedOutGeneration = null;
      writeTokens(null);
      return { revoked: tokens ? await revokeToken(tokens.refreshToken) : false };
    },

    dispose() {
      win.removeEventListener?.("storage", onStorage);
      channel?.removeEventListener("message", onMessage);
      if (options.channel === undefined) channel?.close?.();
      listeners.clear();
    },
  };
  return client;
}
