// OIDC connection configuration: validated once where it is written (STYLE.md §6), with the dotted path
// of the offending field in the error, then read back into a frozen typed value.
//
// Two shapes: the admin's INPUT (may carry a plaintext client secret) and the STORED form (the secret
// sealed by the adapter, a gateway-held private key for private_key_jwt). The core never seals: the
// adapter passes the sealed values in.
import { z } from "zod";
import { OidcError } from "./errors";

export const PRESETS = ["generic", "okta", "entra", "google", "auth0", "keycloak"] as const;
export type Preset = (typeof PRESETS)[number];

export const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;
export type TokenEndpointAuthMethod = (typeof AUTH_METHODS)[number];

/** ID token algorithms we accept (asymmetric only: never "none", never HMAC — RFC 8725 §3.1/§3.2). */
export const ID_TOKEN_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];

/** Algorithms of the gateway-held private_key_jwt key. */
export const CLIENT_KEY_ALGS = ["RS256", "PS256", "ES256", "EdDSA"] as const;
export type ClientKeyAlg = (typeof CLIENT_KEY_ALGS)[number];

/** Issuer template of Entra ID multi-tenant apps (the discovery document of /organizations or /common). */
export const ENTRA_TENANT_PLACEHOLDER = "{tenantid}";

const urlString = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "https:" || u.protocol === "http:") && !u.hash && !u.username && !u.password;
    } catch {
      return false;
    }
  },
  { message: "must be an absolute http(s) URL without fragment or credentials" },
);

const endpoints = z
  .object({
    authorization_endpoint: urlString,
    token_endpoint: urlString,
    jwks_uri: urlString,
    userinfo_endpoint: urlString.optional(),
  })
  .strict();

const authorizationParams = z
  .object({
    prompt: z.enum(["none", "login", "consent", "select_account"]).optional(),
    /** Entra ID: skips the realm discovery page. */
    domain_hint: z.string().min(1).max(253).optional(),
    /** Google Workspace: restricts the account chooser to one hosted domain. */
    hd: z.string().min(1).max(253).optional(),
    /** A fixed login_hint; the one from /sso/authorize (if any) wins. */
    login_hint: z.string().min(1).max(320).optional(),
    acr_values: z.string().min(1).max(500).optional(),
    max_age: z.number().int().nonnegative().optional(),
  })
  .strict();

const claimNames = z
  .object({
    subject: z.string().min(1).optional(),
    email: z.array(z.string().min(1)).min(1).optional(),
    name: z.array(z.string().min(1)).min(1).optional(),
    groups: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const common = {
  preset: z.enum(PRESETS).default("generic"),
  /** Issuer for discovery. Entra ID multi-tenant: https://login.microsoftonline.com/organizations/v2.0 */
  issuer: urlString,
  /** Explicit endpoints: when given, discovery is skipped. */
  endpoints: endpoints.optional(),
  clientId: z.string().min(1).max(500),
  tokenEndpointAuthMethod: z.enum(AUTH_METHODS).default("client_secret_basic"),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "must be a scope token (RFC 6749 §3.3)"))
    .min(1)
    .max(30)
    .default(["openid", "email", "profile"])
    .refine((s) => s.includes("openid"), { message: 'must include "openid"' }),
  authorizationParams: authorizationParams.optional(),
  /** Overrides of the preset's claim names (first present wins). */
  claims: claimNames.optional(),
  /** Fetch the userinfo endpoint and merge it when its "sub" matches. */
  useUserinfo: z.boolean().default(true),
  /** Narrow the allow-list (e.g. ["RS256"]). Never widens it. */
  idTokenAlgs: z.array(z.enum(ID_TOKEN_ALGS)).min(1).optional(),
  /**
   * private_key_jwt: the client assertion's "aud". OIDC Core §9 says the token endpoint URL (Okta, Entra,
   * Keycloak); Auth0 wants its issuer. Default: by preset (see clientAssertionAudience()).
   */
  clientAssertionAudience: z.enum(["issuer", "token_endpoint"]).optional(),
  /**
   * Entra ID groups overage (more groups than fit in the token: `_claim_names.groups` / `hasgroups`): the groups
   * are read from Microsoft Graph with the login's access token (needs the GroupMember.Read.All permission).
   * When that is impossible the login fails closed: "refuse" (default), or "default_role" — never the roles of
   * an earlier login.
   */
  groupsOverage: z
    .object({
      /** Graph's base URL (national clouds differ); fetched through the SSRF guard like every IdP call. */
      graphBaseUrl: urlString.optional(),
      onFailure: z.enum(["refuse", "default_role"]).default("refuse"),
    })
    .strict()
    .optional(),
  /** Entra ID: the customer's tenant; required when the issuer is multi-tenant (organizations/common). */
  tenantId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a tenant GUID")
    .optional(),
};

export const oidcConfigInput = z
  .object({
    ...common,
    /** Plaintext secret as typed by the admin; sealed by the adapter, never stored as is. */
    clientSecret: z.string().min(1).max(4096).optional(),
    /** For private_key_jwt: algorithm of the key the gateway generates for this connection. */
    clientKeyAlg: z.enum(CLIENT_KEY_ALGS).default("RS256"),
  })
  .strict()
  .superRefine((c, ctx) => crossChecks(c, ctx, c.clientSecret !== undefined));

const publicJwk = z.object({ kty: z.string(), kid: z.string(), alg: z.string() }).passthrough();

export const oidcConfigStored = z
  .object({
    ...common,
    clientSecretSealed: z.string().min(1).optional(),
    clientKey: z
      .object({
        kid: z.string().min(1),
        alg: z.enum(CLIENT_KEY_ALGS),
        privateJwkSealed: z.string().min(1),
        publicJwk,
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    crossChecks(c, ctx, c.clientSecretSealed !== undefined);
    if (c.tokenEndpointAuthMethod === "private_key_jwt" && !c.clientKey) {
      ctx.addIssue({ code: "custom", path: ["clientKey"], message: "is required for private_key_jwt" });
    }
  });

type CommonShape = {
  preset: Preset;
  issuer: string;
  authorizationParams?: { hd?: string | undefined } | undefined;
  endpoints?: unknown;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  tenantId?: string;
};

function crossChecks(c: CommonShape, ctx: z.RefinementCtx, hasSecret: boolean) {
  const secretKey = "clientSecret";
  if ((c.tokenEndpointAuthMethod === "client_secret_basic" || c.tokenEndpointAuthMethod === "client_secret_post") && !hasSecret) {
    ctx.addIssue({ code: "custom", path: [secretKey], message: `is required for ${c.tokenEndpointAuthMethod}` });
  }
  if (c.tokenEndpointAuthMethod === "private_key_jwt" && hasSecret) {
    ctx.addIssue({ code: "custom", path: [secretKey], message: "must be absent for private_key_jwt (the gateway key is used)" });
  }
  if (c.preset === "google" && !c.authorizationParams?.hd) {
    // Without it every Google account in the world could sign in to this group (the ID token's "hd" is checked).
    ctx.addIssue({ code: "custom", path: ["authorizationParams", "hd"], message: "is required with the google preset: the customer's Google Workspace domain" });
  }
  const multiTenant = isEntraMultiTenantIssuer(c.issuer);
  if (multiTenant && c.preset !== "entra") {
    ctx.addIssue({ code: "custom", path: ["preset"], message: 'must be "entra" for a multi-tenant Entra ID issuer' });
  }
  if (multiTenant && !c.tenantId) {
    ctx.addIssue({
      code: "custom",
      path: ["tenantId"],
      message: "is required with a multi-tenant issuer (organizations/common): the customer's tenant GUID",
    });
  }
}

export type OidcConfigInput = z.input<typeof oidcConfigInput>;
export type OidcConfig = Readonly<z.output<typeof oidcConfigStored>>;
export type ParsedInput = z.output<typeof oidcConfigInput>;

/** Issuer URLs whose discovery document returns the "{tenantid}" template. */
export function isEntraMultiTenantIssuer(issuer: string): boolean {
  try {
    const u = new URL(issuer);
    return (
      u.hostname === "login.microsoftonline.com" &&
      /^\/(organizations|common|consumers)\/v2\.0\/?$/.test(u.pathname)
    );
  } catch {
    return false;
  }
}

function firstIssue(err: z.ZodError): OidcError {
  const issue = err.issues[0];
  const path = issue?.path.map(String).join(".") || "(root)";
  return new OidcError("config_invalid", `"${path}" ${issue?.message ?? "is invalid"}`);
}

/** All issues with their dotted path, for an admin UI. */
export function configIssues(raw: unknown): Array<{ path: string; message: string }> {
  const r = oidcConfigInput.safeParse(raw);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
}

/** Validate what an admin typed. Throws OidcError("config_invalid", '"scopes" must include "openid"'). */
export function parseOidcConfigInput(raw: unknown): ParsedInput {
  const r = oidcConfigInput.safeParse(raw);
  if (!r.success) throw firstIssue(r.error);
  return r.data;
}

/** Read the stored form back into a frozen value. */
export function parseOidcConfig(raw: unknown): OidcConfig {
  const r = oidcConfigStored.safeParse(raw);
  if (!r.success) throw firstIssue(r.error);
  return Object.freeze(r.data);
}

/** The algorithms accepted for this connection's ID tokens. */
export function allowedIdTokenAlgs(config: Pick<OidcConfig, "idTokenAlgs">): IdTokenAlg[] {
  return [...(config.idTokenAlgs ?? ID_TOKEN_ALGS)];
}

/** The "aud" of the private_key_jwt client assertion for this connection. */
export function clientAssertionAudience(config: Pick<OidcConfig, "preset" | "clientAssertionAudience">): "issuer" | "token_endpoint" {
  return config.clientAssertionAudience ?? (config.preset === "auth0" ? "issuer" : "token_endpoint");
}
