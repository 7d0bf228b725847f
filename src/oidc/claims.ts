// Claim-mapping presets: from ID token (+ userinfo) claims to the `profile` that completeSignIn takes.
// Each preset names where a vendor puts the email, the display name and the groups/roles.
import type { OidcConfig, Preset } from "./config";
import { OidcError } from "./errors";

export interface SignInProfile {
  subject: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
  attributes?: Record<string, unknown>;
}

export interface MappedProfile {
  profile: SignInProfile;
  /** The OP signalled that groups exist but were not put in the token (Entra groups overage). */
  groupsNotDelivered: boolean;
}

interface PresetClaims {
  email: string[];
  name: string[];
  /** Dotted paths allowed (Keycloak "realm_access.roles"). All present values are unioned. */
  groups: string[];
  /** Email taken from these claims is not treated as verified. */
  unverifiedEmailClaims?: string[];
}

export const PRESET_CLAIMS: Readonly<Record<Preset, PresetClaims>> = Object.freeze({
  generic: { email: ["email"], name: ["name"], groups: ["groups", "roles"] },
  // Okta: a "groups" claim is added by the admin (Groups claim filter) on the app or authorization server.
  okta: { email: ["email"], name: ["name"], groups: ["groups"] },
  // Entra ID: email is often absent for work accounts; preferred_username / upn carry the sign-in name.
  // "groups" carries object ids (or names with cloud-only groups config); app roles arrive in "roles".
  entra: {
    email: ["email", "preferred_username", "upn"],
    name: ["name"],
    groups: ["groups", "roles"],
    unverifiedEmailClaims: ["preferred_username", "upn"],
  },
  // Google Workspace does not put groups in ID tokens; "hd" is the hosted domain.
  google: { email: ["email"], name: ["name"], groups: ["groups"] },
  // Auth0: roles/groups need an Action adding a (namespaced) claim; configure `claims.groups` with its name.
  auth0: { email: ["email"], name: ["name", "nickname"], groups: ["groups", "roles"] },
  // Keycloak: "groups" via a Group Membership mapper; realm roles under realm_access.roles.
  keycloak: { email: ["email"], name: ["name", "preferred_username"], groups: ["groups", "realm_access.roles"] },
});

function at(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path]; // namespaced claim names contain dots and slashes
  let cur: unknown = claims;
  for (const part of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function firstString(claims: Record<string, unknown>, names: string[]): { value: string; from: string } | undefined {
  for (const n of names) {
    const v = at(claims, n);
    if (typeof v === "string" && v.trim() !== "") return { value: v.trim(), from: n };
  }
  return undefined;
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === "string") return v.trim() ? [v.trim()] : [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string" && x !== "").map((x) => x.trim());
  return undefined;
}

/** Entra ID groups overage (more than 200 groups, or implicit flow hasgroups). */
function entraOverage(claims: Record<string, unknown>): boolean {
  if (claims.hasgroups === true || claims.hasgroups === "true") return true;
  const names = claims._claim_names;
  return typeof names === "object" && names !== null && "groups" in names;
}

const EMAILISH = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Claims kept as attributes (no tokens, nothing large). */
const ATTRIBUTE_CLAIMS = ["iss", "tid", "hd", "oid", "preferred_username", "upn", "given_name", "family_name", "locale", "acr", "amr"];

/**
 * Map the merged claims to the sign-in profile. `claims` are the validated ID token claims with userinfo
 * merged in by the caller (only when its "sub" matched).
 */
export function mapClaims(config: Pick<OidcConfig, "preset" | "claims" | "tenantId" | "authorizationParams">, claims: Record<string, unknown>): MappedProfile {
  const preset = PRESET_CLAIMS[config.preset];
  const subjectClaim = config.claims?.subject ?? "sub";
  const subject = at(claims, subjectClaim);
  if (typeof subject !== "string" || subject === "" || subject.length > 255) {
    throw new OidcError("claims_invalid", `"${subjectClaim}" claim is missing or not a string`);
  }

  if (config.preset === "entra" && config.tenantId) {
    const tid = claims.tid;
    if (typeof tid !== "string" || tid.toLowerCase() !== config.tenantId.toLowerCase()) {
      throw new OidcError("tenant_mismatch", `"tid" claim is not the connection's tenant`);
    }
  }

  if (config.preset === "google") {
    // Google Workspace: "hd" names the account's hosted domain; a consumer account has none. The authorization
    // request's hd parameter only filters the account chooser, so the token's claim is what is checked.
    const want = config.authorizationParams?.hd?.toLowerCase();
    const hd = typeof claims.hd === "string" ? claims.hd.toLowerCase() : undefined;
    if (!want || hd !== want) {
      throw new OidcError("hosted_domain_mismatch", hd ? `"hd" claim is not the connection's hosted domain` : `"hd" claim is missing (not a Google Workspace account)`);
    }
  }

  const emailFound = firstString(claims, config.claims?.email ?? preset.email);
  const email = emailFound && EMAILISH.test(emailFound.value) ? emailFound.value : undefined;
  let emailVerified: boolean | undefined;
  if (email && emailFound) {
    const unverified = (preset.unverifiedEmailClaims ?? []).includes(emailFound.from);
    const ev = claims.email_verified;
    emailVerified = !unverified && emailFound.from === "email" ? ev === true || ev === "true" : false;
  }

  let name = firstString(claims, config.claims?.name ?? preset.name)?.value;
  if (!name) {
    const parts = [claims.given_name, claims.family_name].filter((p): p is string => typeof p === "string" && p !== "");
    if (parts.length) name = parts.join(" ");
  }

  const groupsNotDelivered = config.preset === "entra" || config.preset === "generic" ? entraOverage(claims) : false;
  let groups: string[] | undefined;
  if (!groupsNotDelivered) {
    const found = (config.claims?.groups ?? preset.groups).map((n) => stringList(at(claims, n))).filter((g): g is string[] => g !== undefined);
    if (found.length) groups = [...new Set(found.flat())].slice(0, 1000);
  }

  const attributes: Record<string, unknown> = {};
  for (const k of ATTRIBUTE_CLAIMS) if (claims[k] !== undefined) attributes[k] = claims[k];
  if (groupsNotDelivered) attributes.groupsNotDelivered = true;

  return {
    profile: {
      subject,
      ...(email ? { email } : {}),
      ...(emailVerified !== undefined ? { emailVerified } : {}),
      ...(name ? { name: name.slice(0, 200) } : {}),
      ...(groups ? { groups } : {}),
      attributes,
    },
    groupsNotDelivered,
  };
}
