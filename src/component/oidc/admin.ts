// Writing an OIDC connection: validate the admin's input (dotted path in the error), seal the client secret,
// generate the gateway-held private_key_jwt key, store. An action because sealing and key generation use
// WebCrypto; the insert is one internal mutation.
import { ConvexError, v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "../lib/functions";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import { sealSecret } from "../lib/crypto";
import { siteUrl } from "../lib/env";
import { parseOidcConfig, parseOidcConfigInput, type OidcConfig } from "../../oidc/config";
import { generateClientKey } from "../../oidc/clientKey";
import { OidcError } from "../../oidc/errors";

const roleRules = v.optional(v.array(v.object({ value: v.string(), role: v.string() })));

/** saveConnection's input, passed on unchanged (config prepared) to insertConnection. */
const connectionArgs = {
  groupId: v.id("groups"),
  name: v.string(),
  config: v.any(),
  roleRules,
  connectionId: v.optional(v.id("connections")),
  /** "pending": created from the setup portal, usable only by its test sign-in until activated. */
  status: v.optional(v.literal("pending")),
};

/** Input → stored form. Throws ConvexError({ kind: "ConfigError", path, message }). */
export async function prepareOidcConfig(input: unknown, previous?: OidcConfig): Promise<OidcConfig> {
  let parsed;
  try {
    parsed = parseOidcConfigInput(input);
  } catch (e) {
    if (e instanceof OidcError) throw new ConvexError({ kind: "ConfigError", code: e.code, message: e.detail });
    throw e;
  }
  const { clientSecret, clientKeyAlg, ...rest } = parsed;
  const stored: Record<string, unknown> = { ...rest };
  if (clientSecret !== undefined) stored.clientSecretSealed = await sealSecret(clientSecret);
  else if (previous?.clientSecretSealed && parsed.tokenEndpointAuthMethod !== "private_key_jwt") {
    stored.clientSecretSealed = previous.clientSecretSealed;
  }
  if (parsed.tokenEndpointAuthMethod === "private_key_jwt") {
    if (previous?.clientKey && previous.clientKey.alg === clientKeyAlg) stored.clientKey = previous.clientKey;
    else {
      const key = await generateClientKey(clientKeyAlg);
      stored.clientKey = {
        kid: key.kid,
        alg: key.alg,
        privateJwkSealed: await sealSecret(JSON.stringify(key.privateJwk)),
        publicJwk: key.publicJwk,
      };
    }
  }
  return parseOidcConfig(stored); // the stored form is validated too before it is written
}

export const insertConnection = internalMutation({
  args: connectionArgs,
  returns: v.id("connections"),
  handler: async (ctx, args) => {
    parseOidcConfig(args.config); // never store an unvalidated config
    const now = Date.now();
    if (args.connectionId) {
      const existing = await ctx.db.get(args.connectionId);
      if (!existing || existing.kind !== "oidc") throw new ConvexError({ kind: "ConfigError", code: "not_found", message: "unknown connection" });
      await ctx.db.patch(args.connectionId, {
        name: args.name,
        config: args.config,
        ...(args.roleRules ? { roleRules: args.roleRules } : {}),
        updatedAt: now,
      });
      return args.connectionId;
    }
    if (!(await ctx.db.get(args.groupId))) throw new ConvexError({ kind: "ConfigError", code: "not_found", message: "unknown group" });
    return ctx.db.insert("connections", {
      groupId: args.groupId,
      kind: "oidc",
      name: args.name,
      status: args.status ?? "active",
      config: args.config,
      ...(args.roleRules ? { roleRules: args.roleRules } : {}),
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const getConnectionForUpdate = internalQuery({
  args: { connectionId: v.id("connections") },
  handler: async (ctx, { connectionId }) => ctx.db.get(connectionId),
});

/**
 * Create (or, with `connectionId`, replace the config of) an OIDC connection. Returns what the IdP admin
 * needs: the redirect URI and, for private_key_jwt, the JWKS URL of the gateway-held key.
 */
export const saveConnection = internalAction({
  args: connectionArgs,
  returns: v.object({ connectionId: v.id("connections"), redirectUri: v.string(), jwksUri: v.optional(v.string()) }),
  handler: async (ctx, args): Promise<{ connectionId: Id<"connections">; redirectUri: string; jwksUri?: string }> => {
    let previous: OidcConfig | undefined;
    if (args.connectionId) {
      const existing = await ctx.runQuery(internal.oidc.admin.getConnectionForUpdate, { connectionId: args.connectionId });
      if (existing?.kind === "oidc") previous = parseOidcConfig(existing.config);
    }
    const config = await prepareOidcConfig(args.config, previous);
    const connectionId = await ctx.runMutation(internal.oidc.admin.insertConnection, {
      groupId: args.groupId,
      name: args.name,
      config,
      ...(args.roleRules ? { roleRules: args.roleRules } : {}),
      ...(args.connectionId ? { connectionId: args.connectionId } : {}),
      ...(args.status ? { status: args.status } : {}),
    });
    const base = `${siteUrl()}/sso/oidc/${connectionId}`;
    return {
      connectionId,
      redirectUri: `${base}/callback`,
      ...(config.clientKey ? { jwksUri: `${base}/jwks.json` } : {}),
    };
  },
});
