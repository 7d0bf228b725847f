// The identity providers the portal guides an IT admin through: which protocol, which attribute/claim preset,
// and the console steps in that IdP's own words. Values (ACS URL, entity ID…) are filled in by the page.
import { PRESET_MAPS, type PresetName } from "../saml/attributes";
import { PRESET_CLAIMS } from "../oidc/claims";
import type { Preset as OidcPreset } from "../oidc/config";

export type IdpId = "okta" | "entra" | "entra-oidc" | "google" | "adfs" | "onelogin" | "jumpcloud" | "pingfederate" | "saml" | "oidc";

/** Placeholders a step may name; the page replaces them by copyable values. */
export type StepValue = "acsUrl" | "entityId" | "metadataUrl" | "redirectUri";

export interface IdpGuide {
  id: IdpId;
  label: string;
  kind: "saml" | "oidc";
  samlPreset?: PresetName;
  oidcPreset?: OidcPreset;
  /** Steps in the IdP's console; `{acsUrl}` etc. become copy fields. */
  steps: string[];
}

export const IDP_GUIDES: readonly IdpGuide[] = Object.freeze([
  {
    id: "okta", label: "Okta", kind: "saml", samlPreset: "okta",
    steps: [
      "In the Okta Admin Console open Applications → Applications → Create App Integration, choose SAML 2.0.",
      "Single sign-on URL: {acsUrl} (leave “Use this for Recipient URL and Destination URL” ticked).",
      "Audience URI (SP Entity ID): {entityId}",
      "Name ID format: Persistent (or EmailAddress). Application username: Okta username.",
      "Attribute statements: email → user.email, firstName → user.firstName, lastName → user.lastName; group attribute statement groups (filter: Matches regex .*).",
      "Assign the people or groups who should sign in, then copy the “Metadata URL” from the Sign On tab into the form below.",
    ],
  },
  {
    id: "entra", label: "Microsoft Entra ID", kind: "saml", samlPreset: "entra",
    steps: [
      "In the Entra admin center open Enterprise applications → New application → Create your own application (non-gallery).",
      "Single sign-on → SAML. Basic SAML Configuration: Identifier (Entity ID) {entityId}, Reply URL (ACS URL) {acsUrl}.",
      "Attributes & Claims: keep the defaults; add a group claim (Security groups) if roles should follow groups.",
      "Users and groups: assign who may sign in.",
      "Copy “App Federation Metadata Url” from SAML Certificates into the form below.",
    ],
  },
  {
    id: "entra-oidc", label: "Microsoft Entra ID (OpenID Connect)", kind: "oidc", oidcPreset: "entra",
    steps: [
      "In the Entra admin center open App registrations → New registration; supported account types: this organizational directory only.",
      "Redirect URI: platform Web, {redirectUri}",
      "Certificates & secrets → New client secret; copy its Value (shown once).",
      "Token configuration → Add groups claim (Security groups) if roles should follow groups.",
      "Issuer URL: https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0 — copy it, the Application (client) ID and the secret into the form below.",
    ],
  },
  {
    id: "google", label: "Google Workspace", kind: "saml", samlPreset: "google",
    steps: [
      "In the Google Admin console open Apps → Web and mobile apps → Add app → Add custom SAML app.",
      "Download the IdP metadata on the “Google Identity Provider details” step; upload it in the form below.",
      "Service provider details: ACS URL {acsUrl}, Entity ID {entityId}, Name ID format EMAIL, Name ID Basic Information › Primary email.",
      "Attribute mapping: Primary email → email, First name → firstName, Last name → lastName; Group membership → groups.",
      "Turn the app ON for the organisational units that should sign in.",
    ],
  },
  {
    id: "adfs", label: "AD FS", kind: "saml", samlPreset: "adfs",
    steps: [
      "In AD FS Management add a Relying Party Trust, “Import data about the relying party published online”: {metadataUrl}",
      "Access control policy: Permit everyone (or your policy).",
      "Claim issuance policy: “Send LDAP Attributes as Claims”: E-Mail-Addresses → E-Mail Address, Display-Name → Name, Token-Groups – Unqualified Names → Group.",
      "Your federation metadata is at https://<your AD FS host>/FederationMetadata/2007-06/FederationMetadata.xml: paste that URL below.",
    ],
  },
  {
    id: "onelogin", label: "OneLogin", kind: "saml", samlPreset: "onelogin",
    steps: [
      "In OneLogin Administration open Applications → Add App → “SAML Custom Connector (Advanced)”.",
      "Configuration: Audience (EntityID) {entityId}, Recipient and ACS (Consumer) URL {acsUrl}, ACS URL Validator: the same URL with dots escaped.",
      "Parameters: add email (User.email), User.FirstName, User.LastName, and memberOf for groups.",
      "SSO tab: copy the “Issuer URL” (metadata) into the form below.",
    ],
  },
  {
    id: "jumpcloud", label: "JumpCloud", kind: "saml", samlPreset: "jumpcloud",
    steps: [
      "In the JumpCloud Admin Portal open SSO Applications → Add New Application → Custom SAML App.",
      "IdP Entity ID: any unique name; SP Entity ID {entityId}; ACS URL {acsUrl}.",
      "Attributes: email → email, firstname, lastname; tick “Include group attribute” named memberOf.",
      "Save, then Export Metadata and upload the file below.",
    ],
  },
  {
    id: "pingfederate", label: "PingFederate", kind: "saml", samlPreset: "pingfederate",
    steps: [
      "In PingFederate create an SP Connection, Browser SSO profile SAML 2.0, importing our metadata: {metadataUrl}",
      "Attribute contract: mail, givenName, sn, memberOf.",
      "Protocol settings: ACS URL {acsUrl} (HTTP-POST).",
      "Export the IdP metadata for this connection and upload it below (or paste its URL).",
    ],
  },
  {
    id: "saml", label: "Other SAML 2.0 IdP", kind: "saml", samlPreset: "okta",
    steps: [
      "Create a SAML 2.0 application in your IdP from our metadata ({metadataUrl}) or by hand:",
      "ACS URL (HTTP-POST): {acsUrl}",
      "SP entity ID / audience: {entityId}",
      "Send the email address as an attribute named email, the name as displayName and group names as groups.",
      "Give us your IdP's metadata URL or file below.",
    ],
  },
  {
    id: "oidc", label: "Other OpenID Connect provider", kind: "oidc", oidcPreset: "generic",
    steps: [
      "Register a web application (confidential client, authorization code flow) in your OpenID provider.",
      "Redirect URI: {redirectUri}",
      "Scopes: openid email profile. Add a groups claim if roles should follow groups.",
      "Copy the issuer URL, the client ID and the client secret into the form below.",
    ],
  },
]);

export function guideFor(id: string): IdpGuide | undefined {
  return IDP_GUIDES.find((g) => g.id === id);
}

/** The attribute (SAML) or claim (OIDC) names the guide's preset reads, for the "what we expect" table. */
export function expectedNames(guide: IdpGuide): Array<{ field: string; names: string[] }> {
  if (guide.kind === "saml") {
    const m = PRESET_MAPS[guide.samlPreset ?? "okta"];
    return [
      { field: "Subject", names: [m.subject.from === "nameId" ? "NameID" : m.subject.name] },
      { field: "Email", names: m.email },
      { field: "Name", names: m.name },
      { field: "First name", names: m.firstName },
      { field: "Last name", names: m.lastName },
      { field: "Groups", names: m.groups },
    ];
  }
  const c = PRESET_CLAIMS[guide.oidcPreset ?? "generic"];
  return [
    { field: "Subject", names: ["sub"] },
    { field: "Email", names: c.email },
    { field: "Name", names: c.name },
    { field: "Groups", names: c.groups },
  ];
}
