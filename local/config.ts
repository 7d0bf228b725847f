// The local gateway's seed file: validated once with the dotted path of any bad field, then frozen.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { configErrorFrom, deepFreeze, gatewayOptionsSchema } from "../src/session/options";

export const localConfigSchema = z
  .object({
    $comment: z.string().optional(),
    options: gatewayOptionsSchema.optional(),
    groups: z.array(
      z.object({
        slug: z.string(),
        name: z.string(),
        domains: z.array(z.string()).optional(),
        /** Of `domains`, those treated as verified (the deployment admin's word; no DNS check offline). */
        verifiedDomains: z.array(z.string()).optional(),
        policy: z
          .object({
            defaultRole: z.string(),
            matchUsersBy: z.array(z.enum(["externalId", "userName", "email"])).optional(),
            onDeprovision: z.enum(["deactivate", "remove"]).optional(),
            linking: z
              .object({ byEmail: z.enum(["verified_domain", "never"]).optional(), onConflict: z.enum(["refuse", "new_user"]).optional() })
              .strict()
              .optional(),
          })
          .optional(),
      }),
    ),
    apps: z.array(
      z.object({ clientId: z.string(), name: z.string(), redirectUris: z.array(z.string()).min(1), audience: z.string().optional() }),
    ),
    /** Protocol sections (SAML connections, OIDC connections, SCIM directories) are read by their plug-ins. */
    saml: z.array(z.record(z.string(), z.unknown())).optional(),
    oidc: z.array(z.record(z.string(), z.unknown())).optional(),
    scim: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Events (docs/events.md): webhook endpoints and pull-API keys, upserted at every start. */
    webhooks: z.array(z.object({ url: z.string(), secret: z.string(), events: z.array(z.string()).optional() }).strict()).optional(),
    apiKeys: z.array(z.object({ name: z.string(), key: z.string() }).strict()).optional(),
  })
  .strict();

export type LocalConfig = z.infer<typeof localConfigSchema>;

export function loadLocalConfig(path: string, baseUrl: string): LocalConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8").replaceAll("{{baseUrl}}", baseUrl));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const parsed = localConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: ${configErrorFrom(parsed.error).message}`);
  return deepFreeze(parsed.data);
}
