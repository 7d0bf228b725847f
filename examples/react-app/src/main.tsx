import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConvexReactClient } from "convex/react";
import { createSsoClient } from "convex-sso-gateway/client";
import { ConvexProviderWithSso, SsoProvider } from "convex-sso-gateway/react";
import { App } from "./App";
import "./styles.css";

const issuer = import.meta.env.VITE_SSO_ISSUER || "http://127.0.0.1:3210";
const clientId = import.meta.env.VITE_SSO_CLIENT_ID || "example-react-app";
const convexUrl: string | undefined = import.meta.env.VITE_CONVEX_URL || undefined;

// One client per page: it keeps the tokens in localStorage and coordinates refreshes with the other tabs.
const sso = createSsoClient({ issuer, clientId, redirectUri: `${location.origin}/callback` });
const convex = convexUrl ? new ConvexReactClient(convexUrl) : null;

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    {convex ? (
      <ConvexProviderWithSso client={convex} sso={sso}>
        <App issuer={issuer} convexUrl={convexUrl} />
      </ConvexProviderWithSso>
    ) : (
      // Without a Convex deployment the sign-in still works on its own (e.g. against `npm start` only).
      <SsoProvider client={sso}>
        <App issuer={issuer} convexUrl={undefined} />
      </SsoProvider>
    )}
  </StrictMode>,
);
