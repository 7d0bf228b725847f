import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConvexReactClient } from "convex/react";
import { createSsoClient } from "convex-sso-gateway/client";
import { ConvexProviderWithSso } from "convex-sso-gateway/react";
import { App } from "./App";
import "./styles.css";

// Embedded mode: the gateway is a component of this app's Convex deployment, so the issuer is the deployment's
// site URL (https://<name>.convex.site) and the client talks to its cloud URL (https://<name>.convex.cloud). The
// local engine (`npm run example` at the repository root) serves both on one address.
const issuer = import.meta.env.VITE_SSO_ISSUER || "http://127.0.0.1:3210";
const clientId = import.meta.env.VITE_SSO_CLIENT_ID || "example-react-app";
const convexUrl = import.meta.env.VITE_CONVEX_URL || issuer;

// One client per page: it keeps the tokens in localStorage and coordinates refreshes with the other tabs.
const sso = createSsoClient({ issuer, clientId, redirectUri: `${location.origin}/callback` });
const convex = new ConvexReactClient(convexUrl);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexProviderWithSso client={convex} sso={sso}>
      <App />
    </ConvexProviderWithSso>
  </StrictMode>,
);
