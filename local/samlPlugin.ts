// Local-gateway plug-in for SAML: mounts the built-in test IdP under /_idp/saml, seeds the demo group's SAML
// connection from its metadata (idempotent, at every start: the IdP key is fresh each start and the refresh
// re-pins it), adds "Sign in with SAML" to the demo app. Register with `localPlugins.push(samlLocalPlugin)`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { makeFunctionReference } from "convex/server";
import type { LocalPluginFactory } from "./plugins";
import { createTestSamlIdp } from "./samlIdp";

export const SAML_IDP_PREFIX = "/_idp/saml";

export const DEMO_SAML_CONNECTION = {
  name: "Test SAML IdP (local)",
  roleRules: [
    { value: "admins", role: "admin" },
    { value: "engineering", role: "editor" },
  ],
  config: {
    mapping: { preset: "custom", email: ["email"], name: ["name"], groups: ["groups"], trustEmailVerified: true },
    slo: { enabled: true },
  },
};

async function toRequest(req: IncomingMessage, baseUrl: string): Promise<Request> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (req.method !== "GET" && req.method !== "HEAD") {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1024 * 1024) break;
      chunks.push(c as Buffer);
    }
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  return new Request(new URL(req.url ?? "/", baseUrl), {
    method: req.method ?? "GET",
    headers,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
  });
}

export const samlLocalPlugin: LocalPluginFactory = async ({ engine, config, baseUrl }) => {
  const group = config.groups[0]?.slug;
  if (!group) return null;
  const idp = createTestSamlIdp({ baseUrl: `${baseUrl}${SAML_IDP_PREFIX}` });
  const connectionId = (await engine.action(makeFunctionReference<"action">("saml/admin:seedConnection"), {
    groupSlug: group,
    name: DEMO_SAML_CONNECTION.name,
    idpMetadataXml: idp.metadataXml,
    roleRules: DEMO_SAML_CONNECTION.roleRules,
    config: DEMO_SAML_CONNECTION.config,
  })) as string;
  return {
    prefix: SAML_IDP_PREFIX,
    async handle(req: IncomingMessage, res: ServerResponse) {
      const response = (await idp.handle(await toRequest(req, baseUrl))) ?? new Response("not found", { status: 404 });
      const headers: Record<string, string> = {};
      response.headers.forEach((v, k) => (headers[k] = v));
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    },
    buttons: [{ label: "Sign in with SAML", authorizeQuery: { connection: connectionId } }],
    banner: [
      `  Test SAML IdP      ${baseUrl}${SAML_IDP_PREFIX}/metadata  (any email; tick "admins" for the admin role)`,
      `  SP metadata        ${baseUrl}/sso/saml/${connectionId}/metadata`,
    ],
  };
};
