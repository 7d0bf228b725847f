import { useState, type FormEvent } from "react";
import { useConvexAuth } from "convex/react";
import { useSso } from "convex-sso-gateway/react";

export function App({ issuer, convexUrl }: { issuer: string; convexUrl: string | undefined }) {
  const { isLoading, isAuthenticated } = useSso();
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">
          <span className="logo" aria-hidden="true">A</span> Acme Projects
        </span>
        <span className="muted small tagline">Convex + enterprise SSO example</span>
      </header>
      <main>
        {isLoading ? (
          <section className="card narrow" aria-busy="true">
            <p id="loading">Completing sign-in…</p>
          </section>
        ) : isAuthenticated ? (
          <Account issuer={issuer} convexUrl={convexUrl} />
        ) : (
          <SignIn />
        )}
      </main>
    </div>
  );
}

const FRIENDLY: Record<string, string> = {
  state_mismatch: "This sign-in link was not started here or has already been used. Please sign in again.",
  iss_mismatch: "The sign-in response came from an unexpected server and was refused.",
  network_error: "The sign-in service could not be reached. Check your connection and try again.",
};

const LAST_EMAIL = "example:last-email";

/** The gateway's description without its OAuth code, as a sentence. */
function sentence(text: string): string {
  const plain = text.replace(/^[a-z_]+: /, "").trim();
  return plain.charAt(0).toUpperCase() + plain.slice(1) + (/[.!?]$/.test(plain) ? "" : ".");
}

function SignIn() {
  const { signIn, error } = useSso();
  // Coming back from a failed sign-in, the address typed before is still there.
  const [email, setEmail] = useState(() => sessionStorage.getItem(LAST_EMAIL) ?? "");
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    sessionStorage.setItem(LAST_EMAIL, email.trim());
    signIn({ email: email.trim(), returnTo: "/" }).catch(() => setBusy(false));
  };
  const message = error ? (FRIENDLY[error.code] ?? sentence(error.message)) : null;
  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <p className="muted">Use your work email. We'll send you to your organisation's sign-in page.</p>
      {message && (
        <p className="error" role="alert" id="error">
          {message}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="email">Work email</label>
        <input id="email" type="email" autoComplete="email" required placeholder="you@company.com" value={email} onChange={(e) => setEmail(e.target.value)} />
        <button id="sso" className="primary" type="submit" disabled={busy}>
          {busy ? "Redirecting…" : "Sign in with SSO"}
        </button>
      </form>
      <p className="muted small">
        On the local gateway (<code>npm start</code>) try <code>ada@demo.example</code>.
      </p>
    </section>
  );
}

function Account({ issuer, convexUrl }: { issuer: string; convexUrl: string | undefined }) {
  const { claims, state, refresh, signOut } = useSso();
  const [note, setNote] = useState<string | null>(null);
  if (!claims || state.status !== "signedIn") return null;
  const method = { saml: "SAML 2.0", oidc: "OpenID Connect", dev: "Dev sign-in" }[claims.auth_method] ?? claims.auth_method;
  return (
    <>
      <section className="card">
        <div className="row">
          <div>
            <h1 id="who">{claims.name ?? claims.email}</h1>
            <p className="muted" id="email">
              {claims.email}
            </p>
          </div>
          <span className="badge" id="role">
            {claims.role}
          </span>
        </div>
        <dl className="facts">
          <dt>Organisation</dt>
          <dd id="group">{claims.group}</dd>
          <dt>Roles</dt>
          <dd id="roles">{claims.roles.join(", ") || "—"}</dd>
          <dt>Signed in with</dt>
          <dd id="method">{method}</dd>
          <dt>Token expires</dt>
          <dd id="expires">{new Date(state.expiresAt).toLocaleTimeString()}</dd>
        </dl>
        <div className="actions">
          <button
            id="refresh"
            onClick={() =>
              refresh().then(
                (s) => setNote(s.status === "signedIn" ? `Token refreshed at ${new Date().toLocaleTimeString()}.` : "The session has ended."),
                () => setNote("Could not reach the sign-in service."),
              )
            }
          >
            Refresh token
          </button>
          <button id="signout" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
        {note && (
          <p className="muted small" id="note" role="status">
            {note}
          </p>
        )}
      </section>
      {convexUrl ? <ConvexStatus /> : <section className="card muted small">No Convex deployment configured (VITE_CONVEX_URL): this page shows the gateway sign-in alone. Issuer: {issuer}</section>}
      <section className="card">
        <h2>Projects</h2>
        {/*
          EMBEDDED MODE — guarded query goes here. It needs the convex-sso-gateway Convex component
          (app.use(ssoGateway) in convex/convex.config.ts), which provides requireGrant:
            // convex/projects.ts
            export const list = query({ args: {}, handler: async (ctx) => {
              const { groupId } = await requireGrant(ctx, "projects:read");
              return ctx.db.query("projects").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(50);
            } });
            // here:
            const projects = useQuery(api.projects.list);
        */}
        <p className="muted small" id="guarded">
          A list guarded by <code>requireGrant(ctx, "projects:read")</code> appears here in embedded mode (the app mounts the gateway component).
        </p>
      </section>
    </>
  );
}

function ConvexStatus() {
  const { isLoading, isAuthenticated } = useConvexAuth();
  return (
    <section className="card small" id="convex">
      Convex: {isLoading ? "connecting and sending the session token…" : isAuthenticated ? "the backend accepted the session token." : "not authenticated."}
    </section>
  );
}
