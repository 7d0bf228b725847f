// SAML routes. The router has no path parameters: one prefix, the connection id and the endpoint parsed here.
//   GET  /sso/saml/{connection}/metadata   SP metadata
//   POST /sso/saml/{connection}/acs        assertion consumer (SP- and IdP-initiated)
//   GET|POST /sso/saml/{connection}/slo    IdP → SP logout (LogoutRequest, or the LogoutResponse to ours)
//   POST /sso/saml/{connection}/logout     app → SP-initiated logout (form: refresh_token, optional return_to)
import { httpAction, type ActionCtx } from "../lib/functions";
import type { HttpRouter } from "convex/server";
import { internal } from "../_generated/api";
import { errorPage } from "../lib/pages";
import { acs } from "./acsHttp";
import { sloEndpoint, logoutStart } from "./sloHttp";

function route(path: string): { connection: string; endpoint: string } | null {
  const m = path.match(/^\/sso\/saml\/([A-Za-z0-9_-]{1,64})\/(metadata|acs|slo|logout)$/);
  return m ? { connection: m[1]!, endpoint: m[2]! } : null;
}

const notFound = () => errorPage({ title: "Not found", message: "There is nothing at this address.", status: 404 });

async function metadata(ctx: ActionCtx, connection: string): Promise<Response> {
  const xml = await ctx.runQuery(internal.saml.metadata.spMetadataXml, { connectionId: connection });
  if (xml === null) return notFound();
  return new Response(xml, {
    status: 200,
    headers: { "content-type": "application/samlmetadata+xml; charset=utf-8", "cache-control": "public, max-age=300" },
  });
}

export const samlGet = httpAction(async (ctx, request) => {
  const r = route(new URL(request.url).pathname);
  if (r?.endpoint === "metadata") return metadata(ctx, r.connection);
  if (r?.endpoint === "slo") return sloEndpoint(ctx, request, r.connection);
  return notFound();
});

export const samlPost = httpAction(async (ctx, request) => {
  const r = route(new URL(request.url).pathname);
  if (r?.endpoint === "acs") return acs(ctx, request, r.connection);
  if (r?.endpoint === "slo") return sloEndpoint(ctx, request, r.connection);
  if (r?.endpoint === "logout") return logoutStart(ctx, request, r.connection);
  return notFound();
});

export function registerSamlRoutes(http: HttpRouter): void {
  http.route({ pathPrefix: "/sso/saml/", method: "GET", handler: samlGet });
  http.route({ pathPrefix: "/sso/saml/", method: "POST", handler: samlPost });
}
