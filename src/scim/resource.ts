// Resource input normalisation (POST/PUT bodies and PATCH values), rendering with meta, projection, sorting.
// Stored form: a plain object keyed by canonical attribute names (extension attributes under their URN),
// without id/meta/groups (computed) and without password (accepted, never stored: RFC 7643 §4.1.1 writeOnly).
import { ScimError, badSyntax, badValue } from "./errors";
import { collect } from "./filter";
import {
  findSubAttr,
  resolvePath,
  type AttrDef,
  type ResourceTypeDef,
} from "./schemas";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type ResourceData = Record<string, unknown>;

export const MAX_STRING = 8192;
export const MAX_MULTI = 200;
export const MAX_RESOURCE_BYTES = 100_000;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Normalise one (single) value for a definition; undefined means "unassigned". */
export function normalizeSingle(def: AttrDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case "complex": {
      let v = value;
      // Entra's other manager shape: a bare id instead of {"value": id}; also a one-element array.
      if (Array.isArray(v) && v.length === 1 && !def.multiValued) v = v[0];
      if ((typeof v === "string" || typeof v === "number") && !def.multiValued && findSubAttr(def, "value")) v = { value: String(v) };
      if (!isObject(v)) throw badValue(`attribute "${path}" must be an object`);
      const out: Record<string, unknown> = {};
      for (const [k, sv] of Object.entries(v)) {
        const sub = findSubAttr(def, k);
        if (!sub || sub.mutability === "readOnly") continue;
        const n = normalizeSingle(sub, sv, `${path}.${sub.name}`);
        if (n !== undefined) out[sub.name] = n;
      }
      return Object.keys(out).length ? out : undefined;
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      // Entra sends "True"/"False" strings for booleans.
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      throw badValue(`attribute "${path}" must be a boolean`);
    case "integer":
      if (typeof value === "number" && Number.isInteger(value)) return value;
      throw badValue(`attribute "${path}" must be an integer`);
    case "decimal":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      throw badValue(`attribute "${path}" must be a number`);
    case "dateTime":
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
      throw badValue(`attribute "${path}" must be an RFC 3339 dateTime`);
    default:
      if (typeof value !== "string") throw badValue(`attribute "${path}" must be a string`);
      if (value.length > MAX_STRING) throw badValue(`attribute "${path}" is longer than ${MAX_STRING} characters`);
      return value;
  }
}

/** Normalise a whole attribute value (multi-valued → array of normalised elements). */
export function normalizeAttr(def: AttrDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (!def.multiValued) return normalizeSingle(def, value, path);
  const items = Array.isArray(value) ? value : [value];
  if (items.length > MAX_MULTI) throw badValue(`attribute "${path}" has more than ${MAX_MULTI} values`);
  const out = items.map((x) => normalizeSingle(def, x, path)).filter((x) => x !== undefined);
  fixPrimary(out);
  return out.length ? out : undefined;
}

/** RFC 7643 §2.4: at most one "primary": true; the last one set wins (PATCH appends). */
export function fixPrimary(items: unknown[]): void {
  let seen = false;
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (isObject(it) && it.primary === true) {
      if (seen) it.primary = false;
      seen = true;
    }
  }
}

export interface MemberRef {
  value: string;
  type?: string;
}

export function normalizeMembers(value: unknown): MemberRef[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  const out: MemberRef[] = [];
  for (const m of items) {
    if (m === null) continue;
    if (!isObject(m)) throw badValue(`"members" entries must be objects with a "value"`);
    const v = Object.entries(m).find(([k]) => k.toLowerCase() === "value")?.[1];
    if (typeof v !== "string" || v.length === 0 || v.length > 256) throw badValue(`"members" entries need a string "value"`);
    const t = Object.entries(m).find(([k]) => k.toLowerCase() === "type")?.[1];
    if (t !== undefined && t !== null && (typeof t !== "string" || t.toLowerCase() !== "user"))
      throw badValue(`"members" of type "${String(t).slice(0, 20)}" are not supported: only Users`);
    out.push({ value: v });
  }
  return out;
}

/** Set a normalised value at a resolved path in stored data (creating containers). */
export function setAt(data: ResourceData, keys: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = data;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (!isObject(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

export function getAt(data: ResourceData, keys: readonly string[]): unknown {
  let node: unknown = data;
  for (const k of keys) {
    if (!isObject(node)) return undefined;
    node = node[k];
  }
  return node;
}

/** Remove empty containers left behind (an extension object or "name" with no attribute). */
export function prune(data: ResourceData): void {
  for (const [k, v] of Object.entries(data)) {
    if (isObject(v)) {
      prune(v);
      if (Object.keys(v).length === 0) delete data[k];
    } else if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) delete data[k];
  }
}

export interface NormalizedInput {
  data: ResourceData;
  /** Group only: members when the body has "members" (PUT replaces, POST sets). */
  members?: MemberRef[];
}

/** Check "schemas" of a resource body (RFC 7643 §3): must list the core schema; unknown extensions are ignored. */
export function checkSchemas(rt: ResourceTypeDef, body: Record<string, unknown>): void {
  const s = body.schemas;
  if (!Array.isArray(s) || !s.every((x) => typeof x === "string"))
    throw badSyntax(`"schemas" must be an array of schema URNs including "${rt.core.id}"`);
  if (!s.some((x) => (x as string).toLowerCase() === rt.core.id.toLowerCase()))
    throw badSyntax(`"schemas" must include "${rt.core.id}"`);
}

/** Normalise a POST/PUT body into stored data. */
export function normalizeResource(rt: ResourceTypeDef, body: unknown): NormalizedInput {
  if (!isObject(body)) throw badSyntax("request body must be a JSON object");
  checkSchemas(rt, body);
  const data: ResourceData = {};
  let members: MemberRef[] | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === "schemas") continue;
    const r = resolvePath(rt, key);
    if (!r) continue; // attributes of schemas we do not support are ignored
    if (r.extensionContainer) {
      if (value === null) continue;
      if (!isObject(value)) throw badValue(`"${r.schema.id}" must be an object`);
      for (const [sk, sv] of Object.entries(value)) {
        const sr = resolvePath(rt, `${r.schema.id}:${sk}`);
        if (!sr || sr.def.mutability === "readOnly") continue;
        const n = sr.sub ? normalizeSingle(sr.sub, sv, sk) : normalizeAttr(sr.attr, sv, sk);
        setAt(data, sr.keys, n);
      }
      continue;
    }
    if (rt.kind === "Group" && r.attr.name === "members" && !r.sub) {
      members = normalizeMembers(value);
      continue;
    }
    if (r.attr.mutability === "readOnly" || r.attr.mutability === "writeOnly") continue;
    if (r.sub && r.sub.mutability === "readOnly") continue;
    if (r.sub && r.attr.multiValued) continue; // "emails.value" as a body key has no single target
    const n = r.sub ? normalizeSingle(r.sub, value, key) : normalizeAttr(r.attr, value, key);
    setAt(data, r.keys, n);
  }
  prune(data);
  checkRequired(rt, data);
  return members === undefined ? { data } : { data, members };
}

export function checkRequired(rt: ResourceTypeDef, data: ResourceData): void {
  const name = rt.kind === "User" ? "userName" : "displayName";
  const v = data[name];
  if (typeof v !== "string" || v.trim() === "") throw badValue(`required attribute "${name}" is missing or empty`);
  if (JSON.stringify(data).length > MAX_RESOURCE_BYTES) throw new ScimError(413, undefined, "resource is too large");
}

// ---------------- rendering ----------------

export interface StoredMeta {
  id: string;
  created: number;
  lastModified: number;
  version: number;
}

export const etagOf = (version: number) => `W/"${version}"`;

/** RFC 7232 entity-tag comparison used for If-Match / If-None-Match (weak comparison, "*" matches any). */
export function etagMatches(header: string, version: number): boolean {
  const want = String(version);
  return header.split(",").some((raw) => {
    const t = raw.trim();
    if (t === "*") return true;
    const m = /^(?:W\/)?"(.*)"$/.exec(t);
    return m ? m[1] === want : t === want;
  });
}

export function renderResource(
  rt: ResourceTypeDef,
  stored: StoredMeta & { data: ResourceData },
  base: string,
  computed: Record<string, unknown>,
): Record<string, unknown> {
  const schemas = [rt.core.id, ...rt.extensions.filter((e) => stored.data[e.id] !== undefined).map((e) => e.id)];
  const { externalId, ...rest } = stored.data;
  return {
    schemas,
    id: stored.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...rest,
    ...computed,
    meta: {
      resourceType: rt.kind,
      created: new Date(stored.created).toISOString(),
      lastModified: new Date(stored.lastModified).toISOString(),
      location: `${base}${rt.endpoint}/${stored.id}`,
      version: etagOf(stored.version),
    },
  };
}

/** Parse a comma-separated attributes / excludedAttributes parameter (unknown names are ignored, RFC 7644 §3.9). */
export function parseAttrList(rt: ResourceTypeDef, raw: string | null | undefined) {
  if (!raw) return undefined;
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 100)
    .map((p) => resolvePath(rt, p))
    .filter((r): r is NonNullable<typeof r> => !!r);
}

export type AttrList = NonNullable<ReturnType<typeof parseAttrList>>;

/** Apply attributes / excludedAttributes (RFC 7644 §3.9). "id" and "schemas" are always returned. */
export function project(res: Record<string, unknown>, include?: AttrList, exclude?: AttrList): Record<string, unknown> {
  let out: Record<string, unknown>;
  if (include && include.length) {
    out = { schemas: res.schemas, id: res.id };
    for (const p of include) {
      const top = p.keys[0]!;
      if (p.extensionContainer) {
        if (res[top] !== undefined) out[top] = res[top];
        continue;
      }
      if (p.keys.length === 1 || (p.keys.length === 2 && top === p.schema.id && !p.sub)) {
        const v = getAt(res, p.keys);
        if (v !== undefined) setAt(out, p.keys, structuredClone(v));
        continue;
      }
      // A sub-attribute: copy only that sub-attribute (for every element of a multi-valued attribute).
      const parentKeys = p.keys.slice(0, -1);
      const subKey = p.keys[p.keys.length - 1]!;
      const parent = getAt(res, parentKeys);
      if (Array.isArray(parent)) {
        const existing = getAt(out, parentKeys);
        const picked = parent.map((e, i) => {
          const prev = Array.isArray(existing) && isObject(existing[i]) ? existing[i] : {};
          return isObject(e) && e[subKey] !== undefined ? { ...prev, [subKey]: e[subKey] } : prev;
        });
        setAt(out, parentKeys, picked);
      } else if (isObject(parent) && parent[subKey] !== undefined) {
        setAt(out, p.keys, structuredClone(parent[subKey]));
      }
    }
  } else {
    out = structuredClone(res);
  }
  for (const p of exclude ?? []) {
    if (p.keys[0] === "id" || p.keys[0] === "schemas") continue;
    const parentKeys = p.keys.slice(0, -1);
    const last = p.keys[p.keys.length - 1]!;
    const parent = parentKeys.length ? getAt(out, parentKeys) : out;
    if (Array.isArray(parent)) for (const e of parent) if (isObject(e)) delete e[last];
    if (isObject(parent)) delete parent[last];
  }
  prune(out);
  return out;
}

// ---------------- sorting ----------------

/** Sort key of a resource for sortBy (RFC 7644 §3.4.2.3): multi-valued → the primary value, else the first. */
export function sortKey(res: Record<string, unknown>, keys: readonly string[], def: AttrDef): string | number | undefined {
  let values: unknown[];
  if (def.multiValued && def.type === "complex") {
    const arr = collect(res, keys);
    const primary = arr.find((e) => isObject(e) && e.primary === true) ?? arr[0];
    values = isObject(primary) ? [primary.value] : [];
  } else {
    const top = collect(res, keys.slice(0, 1));
    const primary = top.find((e): e is Record<string, unknown> => isObject(e) && e.primary === true);
    values = primary && keys.length > 1 ? [(primary as Record<string, unknown>)[keys[1]!]] : collect(res, keys);
  }
  const v = values[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return undefined;
  if (def.type === "dateTime") return Date.parse(v);
  return def.caseExact ? v : v.toLowerCase();
}

export function compareKeys(a: string | number | undefined, b: string | number | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return 1; // unassigned values sort last (ascending)
  if (b === undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
