// Local-gateway plug-in for SAML. Reads the `saml` entries of the local config:
//   "saml": [{ "group": "demo", "name": "Built-in SAML IdP",
//              "roleRules": [{ "value": "admins", "role": "admin" }],
//              "groups": ["admins", "engineering", "sales"],     // checkboxes on the IdP's login form
//              "config": { "slo": { "enabled": true } } }]      // connection config overrides (docs/saml.md)
// Each entry gets a test SAML IdP (local/samlIdp.ts) mounted at /_idp/saml (first entry) or /_idp/saml-<n>, a
// connection seeded from its metadata (saml/admin:seedConnection: upserted by name; the IdP key is fresh at every
// start and the refresh re-pins it), and a "Sign in with SAML" button on the demo app.
// Register with `registerLocalPlugin(samlLocalPlugin)` (local/protocols.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { makeFunctionReference } from "convex/server";
import type { LocalPlugin, LocalPluginFactory } from "./plugins";
import { createTestSamlIdp, type TestSamlIdp } from "./samlIdp";

export const SAML_IDP_PREFIX = "/_idp/saml";

interface LocalSamlEntry {
  group: string;
  name?: string;
  label?: string;
  roleRules?: Array<{ value: string; role: string }>;
  groups?: string[];
  config?: Record<string, unknown>;
}

/** What the demo config's `saml` section holds (the lead's local/demo.config.json). */
export const DEMO_SAML_ENTRY: LocalSamlEntry = {
  group: "demo",
  name: "Built-in SAML IdP",
  roleRules: [
    { value: "admins", role: "admin" },
    { value: "engineering", role: "member" },
  ],
  groups: ["admins", "engineering", "sales"],
  config: { slo: { enabled: true } },
};

const DEFAULT_CONNECTION_CONFIG = {
  mapping: { preset: "custom", email: ["email"], name: ["name"], groups: ["groups"], trustEmailVerified: true },
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
  const entries = (config.saml ?? []) as unknown as LocalSamlEntry[];
  if (!entries.length) return null;
  const idps: TestSamlIdp[] = [];
  const buttons: NonNullable<LocalPlugin["buttons"]> = [];
  const banner: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const mount = i === 0 ? SAML_IDP_PREFIX : `${SAML_IDP_PREFIX}-${i + 1}`;
    const idp = createTestSamlIdp({ baseUrl: `${baseUrl}${mount}`, groups: entry.groups });
    const connectionId = (await engine.action(makeFunctionReference<"action">("saml/admin:seedConnection"), {
      groupSlug: entry.group,
      name: entry.name ?? "Built-in SAML IdP",
      idpMetadataXml: idp.metadataXml,
      roleRules: entry.roleRules,
      config: { ...DEFAULT_CONNECTION_CONFIG, ...entry.config },
    })) as string;
    idps.push(idp);
    buttons.push({ label: entry.label ?? (i === 0 ? "Sign in with SAML" : `Sign in with SAML (${entry.name})`), authorizeQuery: { connection: connectionId } });
    banner.push(
      `  SAML IdP${i ? ` ${i + 1}` : ""}           ${baseUrl}${mount}/metadata  (any email; tick groups for roles)`,
      `  SAML SP metadata   ${baseUrl}/sso/saml/${connectionId}/metadata`,
    );
  }
  return {
    prefix: SAML_IDP_PREFIX,
    async handle(req: IncomingMessage, res: ServerResponse) {
      const request = await toRequest(req, baseUrl);
      let response: Response | null = null;
      for (const idp of idps) if ((response = await idp.handle(request.clone()))) break;
      response ??= new Response("not found", { status: 404 });
      const headers: Record<string, string> = {};
      response.headers.forEach((v, k) => (headers[k] = v));
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    },
    buttons,
    banner,
  };
};
