// convex-sso-gateway/react — ConvexProviderWithSso (ConvexProviderWithAuth fed by the browser client) and
// useSso(). Written with createElement (no JSX) so it compiles with the repository's plain TypeScript settings.
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { ConvexProviderWithAuth, type ConvexReactClient } from "convex/react";
import type { SignInTarget, SsoClaims, SsoClient, SsoError, SsoState } from "../browser";

interface SsoContextValue {
  client: SsoClient;
  /** True from the first render of a callback URL until handleCallback settles (no sign-in page flash). */
  callbackPending: boolean;
}

const SsoContext = createContext<SsoContextValue | null>(null);

/**
 * Gives its children the SSO client. On the redirect URI it completes the sign-in (handleCallback); errors
 * land in the state (`useSso().error`), not in an exception.
 */
export function SsoProvider({ client, children }: { client: SsoClient; children?: ReactNode }) {
  const [callbackPending, setCallbackPending] = useState(() => client.isCallback());
  useEffect(() => {
    if (!client.isCallback()) return;
    let live = true;
    client
      .handleCallback()
      .catch(() => undefined)
      .finally(() => live && setCallbackPending(false));
    return () => {
      live = false;
    };
  }, [client]);
  const value = useMemo(() => ({ client, callbackPending }), [client, callbackPending]);
  return createElement(SsoContext.Provider, { value }, children);
}

function useSsoContext(): SsoContextValue {
  const value = useContext(SsoContext);
  if (!value) throw new Error("useSso / ConvexProviderWithSso: no SsoProvider (or ConvexProviderWithSso) above this component");
  return value;
}

function useSsoState(): SsoState {
  const { client, callbackPending } = useSsoContext();
  const state = useSyncExternalStore(client.onChange, client.getState, client.getState);
  return callbackPending && state.status === "signedOut" && !state.error ? { status: "loading" } : state;
}

/** The `useAuth` hook ConvexProviderWithAuth calls: { isLoading, isAuthenticated, fetchAccessToken }. */
export function useAuthFromSso(): {
  isLoading: boolean;
  isAuthenticated: boolean;
  fetchAccessToken: (args: { forceRefreshToken: boolean }) => Promise<string | null>;
} {
  const { client } = useSsoContext();
  const state = useSsoState();
  // A new function when the user or session changes, so that Convex calls setAuth again.
  const identity = state.status === "signedIn" ? `${state.claims.sub}:${state.claims.sid}` : null;
  const fetchAccessToken = useCallback(
    (args: { forceRefreshToken: boolean }) => client.fetchAccessToken(args),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, identity],
  );
  return { isLoading: state.status === "loading", isAuthenticated: state.status === "signedIn", fetchAccessToken };
}

/** ConvexProvider with the gateway's sign-in: the Convex client gets a refreshing session JWT. */
export function ConvexProviderWithSso({ client, sso, children }: { client: ConvexReactClient; sso: SsoClient; children?: ReactNode }) {
  return createElement(SsoProvider, { client: sso }, createElement(ConvexProviderWithAuth, { client, useAuth: useAuthFromSso }, children));
}

export interface UseSso {
  state: SsoState;
  isLoading: boolean;
  isAuthenticated: boolean;
  /** The session JWT's claims (user, group, role…) when signed in — for display; Convex verifies the token. */
  claims: SsoClaims | null;
  /** Why the last sign-in or refresh failed, when signed out because of it. */
  error: SsoError | null;
  signIn(target: SignInTarget): Promise<string>;
  signOut(): Promise<{ revoked: boolean }>;
  refresh(): Promise<SsoState>;
  client: SsoClient;
}

export function useSso(): UseSso {
  const { client } = useSsoContext();
  const state = useSsoState();
  return useMemo(
    () => ({
      state,
      isLoading: state.status === "loading",
      isAuthenticated: state.status === "signedIn",
      claims: state.status === "signedIn" ? state.claims : null,
      error: state.status === "signedOut" ? (state.error ?? null) : null,
      signIn: (target: SignInTarget) => client.signIn(target),
      signOut: () => client.signOut(),
      refresh: () => client.refresh(),
      client,
    }),
    [client, state],
  );
}
