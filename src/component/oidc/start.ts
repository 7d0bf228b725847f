// The OIDC starter /sso/authorize hands over to: authorization URL with PKCE S256, state and nonce.
// parse config → issuer metadata (cache) → build URL → store state (TTL, single use) → 302 to the OP.
import type { LoginStarter } from "../sso/authorize";
import { internal } from "../_generated/api";
import { clientConfiguration, startAuthorization } from "../../oidc/flow";
import { asOidcError, failure, readConfig, redirectUriFor, runtimeDeps, serverMetadata } from "./runtime";

export const startOidcLogin: LoginStarter = async (ctx, { connection, authRequestId, loginHint }) => {
  try {
    const config = readConfig(connection);
    const deps = runtimeDeps();
    const server = await serverMetadata(ctx, config, deps);
    // Client authentication is not used to build the URL: no secret is opened here.
    const cfg = await clientConfiguration(config, server, {}, deps, { authorizationOnly: true });
    const redirectUri = redirectUriFor(connection._id);
    const start = await startAuthorization(cfg, config, { redirectUri, ...(loginHint ? { loginHint } : {}) });
    await ctx.runMutation(internal.oidc.store.createState, {
      state: start.state,
      connectionId: connection._id,
      authRequestId,
      nonce: start.nonce,
      codeVerifier: start.codeVerifier,
      redirectUri,
      issuer: server.issuer,
    });
    return new Response(null, { status: 302, headers: { location: start.url, "cache-control": "no-store" } });
  } catch (e) {
    const err = asOidcError(e);
    return failure(ctx, { connection, code: err.code, detail: `start: ${err.detail}` });
  }
};
