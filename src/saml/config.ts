// SAML connection configuration: validated once, where it is written, with the dotted field path in the error
// (STYLE.md §6), then read back as a frozen typed value. Dangerous switches are named `dangerously…` (§14).
import { z } from "zod";
import { PRESETS } from "./attributes";
import { normalizeCertificate } from "./x509";

export const NAMEID_FORMATS = {
  unspecified: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
  emailAddress: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
  persistent: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
  transient: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
} as const;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An absolute URL of at most 2048 characters: https, or plain http to a loopback host; never credentials. */
function absoluteUrl(opts: { httpsMessage: string; refuseFragment: boolean }) {
  return z
    .string()
    .max(2048)
    .superRefine((s, ctx) => {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        ctx.addIssue({ code: "custom", message: "is not an absolute URL" });
        return;
      }
      if (u.protocol !== "https:" && !(u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname))) {
        ctx.addIssue({ code: "custom", message: opts.httpsMessage });
      }
      if (u.username || u.password) ctx.addIssue({ code: "custom", message: "must not contain credentials" });
      if (opts.refuseFragment && u.hash) ctx.addIssue({ code: "custom", message: "must not contain a fragment" });
    });
}

/**
 * A URL the *browser* is sent to (SSO/SLO endpoints, the app's login-initiation URL). https, except plain http
 * to a loopback host so the local gateway's built-in IdP works; never javascript:, data:, credentials or a fragment.
 */
const browserUrl = absoluteUrl({ httpsMessage: "must use https (http only for localhost)", refuseFragment: true });

/** A URL the *gateway* fetches: https (http only for loopback, i.e. the local gateway's IdP); the SSRF guard in
 *  netguard.ts refuses loopback and private addresses at fetch time unless GATEWAY_LOCAL=1. */
const fetchUrl = absoluteUrl({ httpsMessage: "must use https", refuseFragment: false });

const certificate = z
  .string()
  .max(16_384)
  .transform((s, ctx) => {
    try {
      return normalizeCertificate(s);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a PEM or base64 DER X.509 certificate" });
      return z.NEVER;
    }
  });

const endpoints = z.strictObject({
  redirect: browserUrl.optional(),
  post: browserUrl.optional(),
});

const attrNames = z.array(z.string().min(1).max(256)).max(10);

export const samlConfigSchema = z.strictObject({
  idp: z.strictObject({
    entityId: z.string().min(1).max(1024),
    ssoUrls: endpoints.refine((e) => e.redirect !== undefined || e.post !== undefined, {
      message: "needs a redirect or a post URL",
    }),
    sloUrls: endpoints.optional(),
    /** Every certificate listed is trusted at once (IdP key rotation): 1 to 4. */
    certificates: z.array(certificate).min(1, "needs at least one signing certificate").max(4),
    nameIdFormats: z.array(z.string().min(1).max(256)).max(10).default([]),
    wantAuthnRequestsSigned: z.boolean().default(false),
    /** When set, the cron re-fetches it and records certificate changes. */
    metadataUrl: fetchUrl.optional(),
  }),
  sp: z
    .strictObject({
      /** Sign AuthnRequests (forced on when the IdP metadata says WantAuthnRequestsSigned). */
      signAuthnRequests: z.boolean().default(false),
      /** NameIDPolicy Format asked for; omitted from the request when unset (IdP default). */
      nameIdFormat: z.string().min(1).max(256).optional(),
      /** Which IdP SSO binding to use; "auto" prefers HTTP-Redirect when the IdP offers both. */
      binding: z.enum(["auto", "redirect", "post"]).default("auto"),
      /** Publish our encryption certificate so the IdP can encrypt assertions. */
      encryptAssertions: z.boolean().default(false),
      forceAuthn: z.boolean().default(false),
      /** Pass /sso/authorize's login_hint (an email) to the IdP as the AuthnRequest Subject. Off by default:
       *  some IdPs refuse requests that carry a Subject. */
      sendLoginHint: z.boolean().default(false),
    })
    .default({ signAuthnRequests: false, binding: "auto", encryptAssertions: false, forceAuthn: false, sendLoginHint: false }),
  mapping: z
    .strictObject({
      preset: z.enum(PRESETS),
      subject: z
        .union([
          z.strictObject({ from: z.literal("nameId") }),
          z.strictObject({ from: z.literal("attribute"), name: z.string().min(1).max(256) }),
        ])
        .optional(),
      email: attrNames.optional(),
      name: attrNames.optional(),
      firstName: attrNames.optional(),
      lastName: attrNames.optional(),
      groups: attrNames.optional(),
      trustEmailVerified: z.boolean().default(false),
    })
    .default({ preset: "custom", trustEmailVerified: false }),
  security: z
    .strictObject({
      /** Allowed clock difference for NotBefore / NotOnOrAfter, seconds (default 3 min, at most 10). */
      clockSkewSec: z.number().int().min(0).max(600).default(180),
      /** DANGEROUS: accept a signed Response whose Assertion is unsigned (SAML Profiles §4.1.3.5 allows it;
       *  it widens the wrapping-attack surface). Off by default. */
      dangerouslyAllowResponseOnlySignature: z.boolean().default(false),
      /** DANGEROUS: accept RSA-SHA1 / SHA-1 digests (collision-prone). Off by default; logged when used. */
      dangerouslyAllowSha1: z.boolean().default(false),
      /** Largest SAMLResponse accepted, decoded bytes. */
      maxResponseBytes: z.number().int().min(4096).max(1_048_576).default(262_144),
    })
    .default({
      clockSkewSec: 180,
      dangerouslyAllowResponseOnlySignature: false,
      dangerouslyAllowSha1: false,
      maxResponseBytes: 262_144,
    }),
  /**
   * IdP-initiated (unsolicited) login. Off by default: an unsolicited response has no request to bind to, so it
   * is easier to replay or inject (SAML Profiles §4.1.5). When on, a valid unsolicited response does not mint a
   * session itself: the browser is sent to the app's `initiateLoginUri` (with `connection` and `iss`), and the
   * app starts an ordinary SP-initiated, PKCE-bound flow — the user's IdP session makes it seamless.
   */
  idpInitiated: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** The default app's client_id; the login-initiation URL must be on the origin of one of its redirect URIs. */
      appClientId: z.string().min(1).max(128).optional(),
      initiateLoginUri: browserUrl.optional(),
    })
    .superRefine((v, ctx) => {
      if (v.enabled && !v.initiateLoginUri) {
        ctx.addIssue({ code: "custom", path: ["initiateLoginUri"], message: "is required when enabled" });
      }
      if (v.enabled && !v.appClientId) {
        ctx.addIssue({ code: "custom", path: ["appClientId"], message: "is required when enabled" });
      }
    })
    .default({ enabled: false }),
  slo: z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false }),
});

export type SamlConfigInput = z.input<typeof samlConfigSchema>;
export type SamlConfig = Readonly<z.output<typeof samlConfigSchema>>;

export interface ConfigIssue {
  path: string;
  message: string;
}

export class SamlConfigError extends Error {
  readonly kind = "SamlConfigError";
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.path || "(config)"}: ${i.message}`).join("; "));
    this.name = "SamlConfigError";
  }
  /** The first offending field, dotted (e.g. "idp.certificates.0"). */
  get path(): string {
    return this.issues[0]?.path ?? "";
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** Validate and normalise (certificates to bare base64 DER, defaults filled). Throws SamlConfigError. */
export function parseSamlConfig(input: unknown): SamlConfig {
  const r = samlConfigSchema.safeParse(input);
  if (!r.success) {
    throw new SamlConfigError(
      r.error.issues.map((i) => ({
        path: i.path.map(String).join("."),
        message:
          i.code === "unrecognized_keys"
            ? `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`
            : i.code === "invalid_type" && i.input === undefined
              ? "is required"
              : i.message,
      })),
    );
  }
  return deepFreeze(r.data);
}

/** Which binding to send the AuthnRequest with, given what the IdP offers and what the admin chose. */
export function chooseSsoBinding(cfg: SamlConfig): { binding: "redirect" | "post"; url: string } {
  const { redirect, post } = cfg.idp.ssoUrls;
  // Signing is cheaper on Redirect (a WebCrypto query signature; POST needs the node action): prefer it.
  if ((cfg.sp.signAuthnRequests || cfg.idp.wantAuthnRequestsSigned) && redirect) return { binding: "redirect", url: redirect };
  if (cfg.sp.binding === "post" && post) return { binding: "post", url: post };
  if (cfg.sp.binding === "redirect" && redirect) return { binding: "redirect", url: redirect };
  if (redirect) return { binding: "redirect", url: redirect };
  return { binding: "post", url: post! };
}
