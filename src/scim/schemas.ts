// SCIM schema definitions (RFC 7643 §4, §8.7.1) with the attribute metadata we use for /Schemas output,
// for validating input, for filtering (caseExact, type) and for projection (returned).
import { ScimError } from "./errors";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
export const BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
export const SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
export const RT_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
export const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";

export type AttrType = "string" | "boolean" | "decimal" | "integer" | "dateTime" | "reference" | "complex" | "binary";
export type Mutability = "readOnly" | "readWrite" | "immutable" | "writeOnly";
export type Returned = "always" | "never" | "default" | "request";

export interface AttrDef {
  readonly name: string;
  readonly type: AttrType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: "none" | "server" | "global";
  readonly subAttributes?: readonly AttrDef[];
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
}

type AttrOpts = Partial<Omit<AttrDef, "name" | "type">>;
function a(name: string, type: AttrType, opts: AttrOpts = {}): AttrDef {
  return Object.freeze({
    name,
    type,
    multiValued: opts.multiValued ?? false,
    description: opts.description ?? name,
    required: opts.required ?? false,
    caseExact: opts.caseExact ?? false,
    mutability: opts.mutability ?? "readWrite",
    returned: opts.returned ?? "default",
    uniqueness: opts.uniqueness ?? "none",
    ...(opts.subAttributes ? { subAttributes: Object.freeze([...opts.subAttributes]) } : {}),
    ...(opts.canonicalValues ? { canonicalValues: opts.canonicalValues } : {}),
    ...(opts.referenceTypes ? { referenceTypes: opts.referenceTypes } : {}),
  });
}
const str = (name: string, opts: AttrOpts = {}) => a(name, "string", opts);

/** Sub-attributes of the usual multi-valued "value/display/type/primary" shape. */
function multi(name: string, types: readonly string[], valueType: AttrType = "string", extra: AttrDef[] = []): AttrDef {
  return a(name, "complex", {
    multiValued: true,
    subAttributes: [
      a("value", valueType),
      str("display"),
      str("type", { canonicalValues: types }),
      a("primary", "boolean"),
      ...extra,
    ],
  });
}

const idAttr = a("id", "string", { caseExact: true, mutability: "readOnly", returned: "always", uniqueness: "server" });
const externalIdAttr = a("externalId", "string", { caseExact: true });
const metaAttr = a("meta", "complex", {
  mutability: "readOnly",
  subAttributes: [
    str("resourceType", { caseExact: true, mutability: "readOnly" }),
    a("created", "dateTime", { mutability: "readOnly" }),
    a("lastModified", "dateTime", { mutability: "readOnly" }),
    a("location", "reference", { mutability: "readOnly", caseExact: true, referenceTypes: ["uri"] }),
    str("version", { caseExact: true, mutability: "readOnly" }),
  ],
});
/** "schemas" (RFC 7643 §3): filterable (RFC 7644 §3.4.2.2 has `schemas eq "urn:…"`), not listed in /Schemas. */
const schemasAttr = a("schemas", "reference", { multiValued: true, mutability: "readOnly", returned: "always", caseExact: false });

/** Common attributes (RFC 7643 §3.1), present on every resource type. */
export const COMMON_ATTRS: readonly AttrDef[] = [idAttr, externalIdAttr, metaAttr];

export const USER_ATTRS: readonly AttrDef[] = [
  str("userName", { required: true, uniqueness: "server", description: "Unique identifier for the User, compared case-insensitively." }),
  a("name", "complex", {
    subAttributes: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((n) => str(n)),
  }),
  str("displayName"),
  str("nickName"),
  a("profileUrl", "reference", { referenceTypes: ["external"] }),
  str("title"),
  str("userType"),
  str("preferredLanguage"),
  str("locale"),
  str("timezone"),
  a("active", "boolean"),
  str("password", { mutability: "writeOnly", returned: "never", description: "Accepted and discarded: the gateway never stores passwords." }),
  multi("emails", ["work", "home", "other"]),
  multi("phoneNumbers", ["work", "home", "mobile", "fax", "pager", "other"]),
  multi("ims", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
  multi("photos", ["photo", "thumbnail"], "reference"),
  a("addresses", "complex", {
    multiValued: true,
    subAttributes: [
      ...["formatted", "streetAddress", "locality", "region", "postalCode", "country"].map((n) => str(n)),
      str("type", { canonicalValues: ["work", "home", "other"] }),
      a("primary", "boolean"),
    ],
  }),
  a("groups", "complex", {
    multiValued: true,
    mutability: "readOnly",
    description: "Groups the User belongs to, computed from Group membership.",
    subAttributes: [
      str("value", { mutability: "readOnly" }),
      a("$ref", "reference", { mutability: "readOnly", referenceTypes: ["Group"] }),
      str("display", { mutability: "readOnly" }),
      str("type", { mutability: "readOnly", canonicalValues: ["direct", "indirect"] }),
    ],
  }),
  multi("entitlements", []),
  multi("roles", []),
  multi("x509Certificates", [], "binary"),
];

export const ENTERPRISE_ATTRS: readonly AttrDef[] = [
  str("employeeNumber"),
  str("costCenter"),
  str("organization"),
  str("division"),
  str("department"),
  a("manager", "complex", {
    subAttributes: [
      str("value", { caseExact: true }),
      a("$ref", "reference", { referenceTypes: ["User"] }),
      str("displayName", { mutability: "readOnly" }),
    ],
  }),
];

export const GROUP_ATTRS: readonly AttrDef[] = [
  str("displayName", { required: true, uniqueness: "server" }),
  a("members", "complex", {
    multiValued: true,
    subAttributes: [
      str("value", { mutability: "immutable", caseExact: true }),
      a("$ref", "reference", { mutability: "immutable", referenceTypes: ["User", "Group"] }),
      str("display", { mutability: "readOnly" }),
      str("type", { mutability: "immutable", canonicalValues: ["User", "Group"] }),
    ],
  }),
];

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttrDef[];
}
export const SCHEMAS: readonly SchemaDef[] = [
  { id: USER_SCHEMA, name: "User", description: "User Account", attributes: USER_ATTRS },
  { id: ENTERPRISE_SCHEMA, name: "EnterpriseUser", description: "Enterprise User", attributes: ENTERPRISE_ATTRS },
  { id: GROUP_SCHEMA, name: "Group", description: "Group", attributes: GROUP_ATTRS },
];

export type ResourceKind = "User" | "Group";
export interface ResourceTypeDef {
  readonly kind: ResourceKind;
  readonly endpoint: string;
  readonly core: SchemaDef;
  readonly extensions: readonly SchemaDef[];
}
export const USER_TYPE: ResourceTypeDef = { kind: "User", endpoint: "/Users", core: SCHEMAS[0]!, extensions: [SCHEMAS[1]!] };
export const GROUP_TYPE: ResourceTypeDef = { kind: "Group", endpoint: "/Groups", core: SCHEMAS[2]!, extensions: [] };
export const resourceType = (k: ResourceKind) => (k === "User" ? USER_TYPE : GROUP_TYPE);

/** A resolved attribute path: where it lives in a resource object and its definition. */
export interface ResolvedPath {
  /** Keys from the resource root, e.g. ["name","familyName"] or [ENTERPRISE_SCHEMA,"manager","value"]. */
  readonly keys: readonly string[];
  /** Definition of the top-level attribute (keys[0] or keys[1] under an extension). */
  readonly attr: AttrDef;
  /** Definition of the sub-attribute, when the path names one. */
  readonly sub?: AttrDef;
  /** The schema the attribute belongs to. */
  readonly schema: SchemaDef;
  /** The innermost definition (sub ?? attr). */
  readonly def: AttrDef;
  /** True when the path is exactly an extension schema URN (a container, no attribute). */
  readonly extensionContainer?: boolean;
}

const findAttr = (list: readonly AttrDef[], name: string) => {
  const l = name.toLowerCase();
  return list.find((d) => d.name.toLowerCase() === l);
};

export function findSubAttr(def: AttrDef, name: string): AttrDef | undefined {
  return def.subAttributes ? findAttr(def.subAttributes, name) : undefined;
}

/**
 * Resolve an attribute path ("userName", "name.familyName", "emails.value", URN-qualified forms,
 * an extension URN alone). Names are case-insensitive (RFC 7643 §2.1). Returns undefined if unknown.
 */
export function resolvePath(rt: ResourceTypeDef, path: string): ResolvedPath | undefined {
  const lower = path.toLowerCase();
  let schema: SchemaDef = rt.core;
  let rest = path;
  for (const s of [...rt.extensions, rt.core]) {
    const id = s.id.toLowerCase();
    if (lower === id && s !== rt.core) {
      const container = a(s.id, "complex", { subAttributes: [...s.attributes] });
      return { keys: [s.id], attr: container, schema: s, def: container, extensionContainer: true };
    }
    if (lower.startsWith(id + ":")) {
      schema = s;
      rest = path.slice(id.length + 1);
      break;
    }
  }
  const parts = rest.split(".");
  if (parts.length > 2 || parts.some((p) => p.length === 0)) return undefined;
  const pool = schema === rt.core ? [...COMMON_ATTRS, schemasAttr, ...schema.attributes] : schema.attributes;
  const attr = findAttr(pool, parts[0]!);
  if (!attr) return undefined;
  const base = schema === rt.core ? [attr.name] : [schema.id, attr.name];
  if (parts.length === 1) return { keys: base, attr, schema, def: attr };
  const sub = findSubAttr(attr, parts[1]!);
  if (!sub) return undefined;
  return { keys: [...base, sub.name], attr, sub, schema, def: sub };
}

export function resolveOrThrow(rt: ResourceTypeDef, path: string, scimType: "invalidFilter" | "invalidPath" | "invalidValue"): ResolvedPath {
  const r = resolvePath(rt, path);
  if (!r) throw new ScimError(400, scimType, `unsupported attribute "${path.slice(0, 200)}" for ${rt.kind}`);
  return r;
}

// ---------- discovery documents (RFC 7643 §5, §6, §7) ----------

function renderAttr(d: AttrDef): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: d.name,
    type: d.type,
    multiValued: d.multiValued,
    description: d.description,
    required: d.required,
    caseExact: d.caseExact,
    mutability: d.mutability,
    returned: d.returned,
    uniqueness: d.uniqueness,
  };
  if (d.canonicalValues && d.canonicalValues.length) out.canonicalValues = [...d.canonicalValues];
  if (d.referenceTypes) out.referenceTypes = [...d.referenceTypes];
  if (d.subAttributes) out.subAttributes = d.subAttributes.map(renderAttr);
  return out;
}

export function renderSchema(s: SchemaDef, base: string): Record<string, unknown> {
  const attrs = s === SCHEMAS[0] || s === SCHEMAS[2] ? [externalIdAttr, ...s.attributes] : s.attributes;
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: attrs.map(renderAttr),
    meta: { resourceType: "Schema", location: `${base}/Schemas/${s.id}` },
  };
}

export function renderResourceType(rt: ResourceTypeDef, base: string): Record<string, unknown> {
  return {
    schemas: [RT_SCHEMA],
    id: rt.kind,
    name: rt.kind,
    endpoint: rt.endpoint,
    description: rt.kind === "User" ? "User Account" : "Group",
    schema: rt.core.id,
    schemaExtensions: rt.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${rt.kind}` },
  };
}

export interface Limits {
  readonly maxResults: number;
  readonly bulkMaxOperations: number;
  readonly bulkMaxPayloadSize: number;
  readonly maxBodyBytes: number;
}
export const LIMITS: Limits = Object.freeze({
  maxResults: 200,
  bulkMaxOperations: 100,
  bulkMaxPayloadSize: 1_048_576,
  maxBodyBytes: 1_048_576,
});

export function renderServiceProviderConfig(base: string, docsUrl?: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: docsUrl,
    patch: { supported: true },
    bulk: { supported: true, maxOperations: LIMITS.bulkMaxOperations, maxPayloadSize: LIMITS.bulkMaxPayloadSize },
    filter: { supported: true, maxResults: LIMITS.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "A per-directory bearer token minted by the gateway admin (Authorization: Bearer <token>).",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}
