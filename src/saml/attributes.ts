// Attribute mapping: from a validated assertion (NameID + attributes) to the `profile` that completeSignIn takes.
// Presets name the attributes each IdP sends by default or by its documented convention; every field can be
// overridden per connection ("custom" starts from nothing). The first listed attribute with a value wins.

export const PRESETS = [
  "okta",
  "entra",
  "google",
  "adfs",
  "onelogin",
  "jumpcloud",
  "pingfederate",
  "custom",
] as const;
export type PresetName = (typeof PRESETS)[number];

/** Where the stable subject comes from. An attribute beats a transient/email NameID when the IdP offers one. */
export type SubjectSource = { from: "nameId" } | { from: "attribute"; name: string };

export interface AttributeMap {
  subject: SubjectSource;
  email: string[];
  name: string[];
  firstName: string[];
  lastName: string[];
  groups: string[];
}

const XMLSOAP = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
const MS = "http://schemas.microsoft.com/identity/claims/";
const MS_WS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/";

/** OIDs of the common LDAP attribute names (eduPerson / inetOrgPerson, urn:oid format). */
const OID_MAIL = "urn:oid:0.9.2342.19200300.100.1.3";
const OID_GIVEN = "urn:oid:2.5.4.42";
const OID_SN = "urn:oid:2.5.4.4";
const OID_CN = "urn:oid:2.5.4.3";
const OID_DISPLAY = "urn:oid:2.16.840.1.113730.3.1.241";

export const PRESET_MAPS: Readonly<Record<PresetName, Readonly<AttributeMap>>> = Object.freeze({
  // Okta: attribute statements are admin-defined; these are the names Okta's own SAML setup guide uses.
  okta: {
    subject: { from: "nameId" },
    email: ["email", "Email", "user.email"],
    name: ["displayName", "name"],
    firstName: ["firstName", "FirstName", "user.firstName"],
    lastName: ["lastName", "LastName", "user.lastName"],
    groups: ["groups", "Groups"],
  },
  // Entra ID: claim URIs of the default "Attributes & Claims". objectidentifier is the user's immutable object
  // ID in the tenant — a better subject than the default NameID (UPN-derived, can change on rename).
  // The groups claim carries group object IDs (or names when "sAMAccountName"/cloud-only names are chosen).
  entra: {
    subject: { from: "attribute", name: `${MS}objectidentifier` },
    email: [`${XMLSOAP}emailaddress`, `${XMLSOAP}name`],
    name: [`${MS}displayname`, `${XMLSOAP}name`],
    firstName: [`${XMLSOAP}givenname`],
    lastName: [`${XMLSOAP}surname`],
    groups: [`${MS_WS}groups`, `${MS_WS}role`],
  },
  // Google Workspace: NameID is the primary email; attributes are mapped by the admin under names they choose;
  // "Group membership" is sent under the app attribute name given (we document "groups").
  google: {
    subject: { from: "nameId" },
    email: ["email", "Email", "primaryEmail"],
    name: ["name", "displayName"],
    firstName: ["firstName", "FirstName", "givenName"],
    lastName: ["lastName", "LastName", "familyName"],
    groups: ["groups", "Groups"],
  },
  // AD FS: claim-description URIs of the standard claim rules ("Send LDAP Attributes as Claims").
  adfs: {
    subject: { from: "nameId" },
    email: [`${XMLSOAP}emailaddress`, `${XMLSOAP}upn`],
    name: [`${XMLSOAP}name`, "http://schemas.xmlsoap.org/claims/CommonName"],
    firstName: [`${XMLSOAP}givenname`],
    lastName: [`${XMLSOAP}surname`],
    groups: ["http://schemas.xmlsoap.org/claims/Group", `${MS_WS}role`],
  },
  // OneLogin: default parameter names of the "SAML Custom Connector".
  onelogin: {
    subject: { from: "nameId" },
    email: ["User.email", "email"],
    name: ["User.DisplayName", "name"],
    firstName: ["User.FirstName", "firstName"],
    lastName: ["User.LastName", "lastName"],
    groups: ["memberOf", "MemberOf", "groups"],
  },
  // JumpCloud: attribute names of its SAML connector; "memberOf" when "include group attribute" is on.
  jumpcloud: {
    subject: { from: "nameId" },
    email: ["email"],
    name: ["displayname", "name"],
    firstName: ["firstname", "firstName"],
    lastName: ["lastname", "lastName"],
    groups: ["memberOf", "groups"],
  },
  // PingFederate: LDAP attribute names from the attribute contract, plain or urn:oid.
  pingfederate: {
    subject: { from: "nameId" },
    email: ["mail", "email", OID_MAIL],
    name: ["displayName", "cn", OID_DISPLAY, OID_CN],
    firstName: ["givenName", OID_GIVEN],
    lastName: ["sn", OID_SN],
    groups: ["memberOf", "groups", "isMemberOf"],
  },
  custom: {
    subject: { from: "nameId" },
    email: [],
    name: [],
    firstName: [],
    lastName: [],
    groups: [],
  },
} satisfies Record<PresetName, AttributeMap>);

export interface MappingConfig {
  preset: PresetName;
  subject?: SubjectSource | undefined;
  email?: string[] | undefined;
  name?: string[] | undefined;
  firstName?: string[] | undefined;
  lastName?: string[] | undefined;
  groups?: string[] | undefined;
  /** Only true when this IdP is authoritative for the emails it asserts (see docs/saml.md). */
  trustEmailVerified?: boolean | undefined;
}

export function resolveMapping(m: MappingConfig): AttributeMap {
  const base = PRESET_MAPS[m.preset];
  return {
    subject: m.subject ?? base.subject,
    email: m.email ?? base.email,
    name: m.name ?? base.name,
    firstName: m.firstName ?? base.firstName,
    lastName: m.lastName ?? base.lastName,
    groups: m.groups ?? base.groups,
  };
}

export interface AssertionFacts {
  nameId: string;
  nameIdFormat: string | null;
  attributes: Record<string, string[]>;
}

export interface SamlProfile {
  subject: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
  attributes: { nameId: string; nameIdFormat: string | null; saml: Record<string, string[]> };
}

export class MappingError extends Error {
  constructor(
    readonly code: "subject_missing",
    message: string,
  ) {
    super(message);
  }
}

const EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const EMAIL_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
const MAX_GROUPS = 200;
const MAX_VALUE = 512;

function firstValue(attrs: Record<string, string[]>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = attrs[n]?.find((x) => x.trim() !== "");
    if (v !== undefined) return v.trim().slice(0, MAX_VALUE);
  }
  return undefined;
}

/**
 * Assertion → profile. Groups are the union of every listed groups attribute (Entra may send both groups and
 * roles), de-duplicated, bounded. Email falls back to an emailAddress-format NameID.
 */
export function mapProfile(a: AssertionFacts, cfg: MappingConfig): SamlProfile {
  const m = resolveMapping(cfg);
  const subject =
    m.subject.from === "nameId" ? a.nameId : firstValue(a.attributes, [m.subject.name]);
  if (!subject || subject.trim() === "") {
    throw new MappingError(
      "subject_missing",
      m.subject.from === "nameId"
        ? "the assertion has an empty NameID"
        : `subject attribute "${m.subject.name}" is missing from the assertion`,
    );
  }
  let email = firstValue(a.attributes, m.email);
  if (!email && a.nameIdFormat === EMAIL_FORMAT) email = a.nameId;
  if (email && !EMAIL_RE.test(email)) email = undefined;
  let name = firstValue(a.attributes, m.name);
  if (!name) {
    const parts = [firstValue(a.attributes, m.firstName), firstValue(a.attributes, m.lastName)].filter(Boolean);
    if (parts.length) name = parts.join(" ");
  }
  const groups = new Set<string>();
  for (const g of m.groups) {
    for (const v of a.attributes[g] ?? []) {
      const t = v.trim();
      if (t && t.length <= MAX_VALUE && groups.size < MAX_GROUPS) groups.add(t);
    }
  }
  const profile: SamlProfile = {
    subject,
    attributes: { nameId: a.nameId, nameIdFormat: a.nameIdFormat, saml: boundAttributes(a.attributes) },
  };
  if (email) {
    profile.email = email;
    profile.emailVerified = cfg.trustEmailVerified === true;
  }
  if (name) profile.name = name;
  if (m.groups.length) profile.groups = [...groups];
  return profile;
}

/** Keep what we store small: 50 attributes, 50 values each, 512 characters per value. */
function boundAttributes(attrs: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(attrs).slice(0, 50)) {
    out[k.slice(0, 256)] = vs.slice(0, 50).map((v) => v.slice(0, MAX_VALUE));
  }
  return out;
}
