import { Component, useState, type FormEvent, type ReactNode } from "react";
import { useConvexAuth, useMutation, useQuery } from "convex/react";
import { useSso } from "convex-sso-gateway/react";
import { api } from "../convex/_generated/api";
import { refusalText } from "./refusal";

export function App() {
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
          <Account />
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

/** A sign-in link for one connection (`/?connection=…`), as an organisation's admin shares it. */
function connectionFromLink(): string | null {
  return new URLSearchParams(location.search).get("connection");
}

function SignIn() {
  const { signIn, error } = useSso();
  const connection = connectionFromLink();
  // Coming back from a failed sign-in, the address typed before is still there.
  const [email, setEmail] = useState(() => sessionStorage.getItem(LAST_EMAIL) ?? "");
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    if (!connection) sessionStorage.setItem(LAST_EMAIL, email.trim());
    signIn(connection ? { connection, returnTo: "/" } : { email: email.trim(), returnTo: "/" }).catch(() => setBusy(false));
  };
  const message = error ? (FRIENDLY[error.code] ?? sentence(error.message)) : null;
  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <p className="muted">
        {connection ? "This link signs you in through your organisation's identity provider." : "Use your work email. We'll send you to your organisation's sign-in page."}
      </p>
      {message && (
        <p className="error" role="alert" id="error">
          {message}
        </p>
      )}
      <form onSubmit={submit}>
        {!connection && (
          <>
            <label htmlFor="email">Work email</label>
            <input id="email" type="email" autoComplete="email" required placeholder="you@company.com" value={email} onChange={(e) => setEmail(e.target.value)} />
          </>
        )}
        <button id="sso" className="primary" type="submit" disabled={busy}>
          {busy ? "Redirecting…" : connection ? "Continue with SSO" : "Sign in with SSO"}
        </button>
      </form>
      <p className="muted small">
        {connection ? (
          <a href="/">Sign in with your email instead</a>
        ) : (
          <>
            On the local engine (<code>npm run example</code>) try <code>ada@demo.example</code>.
          </>
        )}
      </p>
    </section>
  );
}

function Account() {
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
      <ProjectsCard role={claims.role} />
    </>
  );
}

/** The app's own data, through its Convex functions guarded by requireGrant (convex/projects.ts). */
function ProjectsCard({ role }: { role: string }) {
  const { isLoading, isAuthenticated } = useConvexAuth();
  return (
    <section className="card" id="projects-card" aria-labelledby="projects-title">
      <h2 id="projects-title">Projects</h2>
      <p className="muted small">
        Your organisation's projects, from this app's Convex functions: reading needs the <code>projects:read</code> permission, adding one <code>projects:write</code>.
      </p>
      {isLoading ? (
        <p className="muted small" id="convex-status">Connecting to the backend…</p>
      ) : !isAuthenticated ? (
        <p className="error" role="alert" id="convex-status">The backend did not accept your session. Please sign in again.</p>
      ) : (
        <Refusals role={role}>
          <Projects role={role} />
        </Refusals>
      )}
    </section>
  );
}

function Projects({ role }: { role: string }) {
  const projects = useQuery(api.projects.list); // throws the guard's ConvexError → <Refusals>
  const create = useMutation(api.projects.create);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setRefusal(null);
    create({ name }).then(
      () => setName(""),
      (error: unknown) => setRefusal(refusalText(error, role)),
    ).finally(() => setBusy(false));
  };
  if (projects === undefined) return <p className="muted small">Loading projects…</p>;
  return (
    <>
      {projects.length === 0 ? (
        <p className="muted" id="no-projects">No projects in your organisation yet.</p>
      ) : (
        <ul className="projects" id="project-list">
          {projects.map((p) => (
            <li key={p.id}>
              <span className="project-name">{p.name}</span>
              <span className="muted small">added by {p.createdBy}</span>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="project-name" className="sr-only">New project name</label>
        <input id="project-name" placeholder="New project name" required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />
        <button id="add-project" type="submit" disabled={busy}>
          Add project
        </button>
      </form>
      {refusal && (
        <p className="error small" role="alert" id="project-error">
          {refusal}
        </p>
      )}
    </>
  );
}

/** Shows a guarded query's refusal (useQuery throws it) in plain words instead of the list. */
class Refusals extends Component<{ role: string; children: ReactNode }, { error: unknown }> {
  state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    if (this.state.error === null) return this.props.children;
    return (
      <p className="error" role="alert" id="projects-refused">
        {refusalText(this.state.error, this.props.role)}
      </p>
    );
  }
}
