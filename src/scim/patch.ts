// PATCH engine (RFC 7644 §3.5.2) with the shapes Okta and Entra ID really send:
// - op names case-insensitive ("Replace", "Add", "Remove"),
// - path-less add/replace whose value keys are dotted ("name.givenName"), URN-qualified or even value paths,
// - value-path targets (`emails[type eq "work"].value`), creating the element when absent (Entra),
// - `members[value eq "…"]` removal and removal by a value array, `"True"`/`"False"` booleans,
// - `manager` as a URN path with a bare id or `{value}`,
// - atomic: operations apply to a copy; any error throws and nothing is written.
import { ScimError, badPath, badSyntax, badValue } from "./errors";
import { evaluate, parseValueFilter, type FilterNode } from "./filter";
import {
  checkRequired,
  fixPrimary,
  getAt,
  isObject,
  normalizeAttr,
  normalizeMembers,
  normalizeSingle,
  prune,
  setAt,
  type ResourceData,
} from "./resource";
import { PATCH_SCHEMA, findSubAttr, resolvePath, type AttrDef, type ResolvedPath, type ResourceTypeDef } from "./schemas";

export type MemberOp =
  | { kind: "add"; values: string[] }
  | { kind: "remove"; values: string[] }
  | { kind: "replace"; values: string[] };

export interface PatchResult {
  data: ResourceData;
  memberOps: MemberOp[];
  changed: boolean;
}

export const MAX_PATCH_OPERATIONS = 1000;
type OpName = "add" | "replace" | "remove";

interface Target {
  r: ResolvedPath;
  filter?: FilterNode;
  /** Sub-attribute after a value path: `emails[...].value`. */
  sub?: AttrDef;
  text: string;
}

/**
 * Entra ID sends enterprise-extension attributes unqualified (`"path":"manager"`). When the core schema has no
 * such attribute, the extension attribute of that name is meant (RFC 7644 §3.10 asks for the URN; Entra omits it).
 */
function resolveUnqualifiedExtension(rt: ResourceTypeDef, path: string): ResolvedPath | undefined {
  if (path.includes(":")) return undefined;
  for (const ext of rt.extensions) {
    const r = resolvePath(rt, `${ext.id}:${path}`);
    if (r) return r;
  }
  return undefined;
}

function parsePath(rt: ResourceTypeDef, path: string): Target {
  if (path.length > 1000) throw badPath("path is too long");
  const open = path.indexOf("[");
  if (open < 0) {
    const r = resolvePath(rt, path.trim()) ?? resolveUnqualifiedExtension(rt, path.trim());
    if (!r) throw badPath(`path "${path.slice(0, 200)}" names no attribute of ${rt.kind}`);
    return { r, text: path };
  }
  const close = path.lastIndexOf("]");
  if (close < open) throw badPath(`path "${path.slice(0, 200)}" has an unclosed "["`);
  const r = resolvePath(rt, path.slice(0, open).trim());
  if (!r || r.sub || r.extensionContainer || r.def.type !== "complex" || !r.def.multiValued)
    throw badPath(`path "${path.slice(0, 200)}": a value filter needs a multi-valued complex attribute`);
  const after = path.slice(close + 1);
  let sub: AttrDef | undefined;
  if (after !== "") {
    if (!after.startsWith(".")) throw badPath(`path "${path.slice(0, 200)}" has text after "]"`);
    sub = findSubAttr(r.def, after.slice(1));
    if (!sub) throw badPath(`path "${path.slice(0, 200)}" names no sub-attribute of "${r.def.name}"`);
  }
  const filter = parseValueFilter(path.slice(open + 1, close), rt, r.def);
  return sub ? { r, filter, sub, text: path } : { r, filter, text: path };
}

/** The element to create for `emails[type eq "work"].value` when none matches: only from `eq` conjunctions. */
function elementFromFilter(f: FilterNode): Record<string, unknown> | undefined {
  if (f.k === "cmp" && f.op === "eq" && f.keys.length === 1 && f.value !== null) return { [f.keys[0]!]: f.value };
  if (f.k === "and") {
    const parts = f.items.map(elementFromFilter);
    if (parts.some((p) => !p)) return undefined;
    return Object.assign({}, ...parts);
  }
  return undefined;
}

function checkWritable(t: Target): void {
  const d = t.sub ?? t.r.def;
  if (t.r.attr.mutability === "readOnly" || d.mutability === "readOnly")
    throw new ScimError(400, "mutability", `attribute "${t.text.slice(0, 200)}" is read-only`);
}

function memberValues(rt: ResourceTypeDef, value: unknown): string[] {
  if (rt.kind !== "Group") throw badPath(`"members" is not an attribute of ${rt.kind}`);
  return normalizeMembers(value).map((m) => m.value);
}

/** Values `value eq "…"` (or an `or` of them) select in a members filter. */
function memberFilterValues(f: FilterNode): string[] {
  if (f.k === "cmp" && f.op === "eq" && f.keys[0] === "value" && typeof f.value === "string") return [f.value];
  if (f.k === "or") return f.items.flatMap(memberFilterValues);
  throw new ScimError(400, "invalidFilter", `members filters support only value eq "…" (joined by or)`);
}

const sameElement = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

function applyOne(rt: ResourceTypeDef, data: ResourceData, memberOps: MemberOp[], op: OpName, path: string | undefined, value: unknown): void {
  if (path === undefined || path === "") {
    if (op === "remove") throw new ScimError(400, "noTarget", `"remove" needs a "path"`);
    if (!isObject(value)) throw badValue(`"${op}" without a path needs an object value`);
    for (const [k, v] of Object.entries(value)) {
      if (k === "schemas") continue;
      const r = /\[/.test(k) ? undefined : resolvePath(rt, k);
      // readOnly keys in a path-less value are ignored: Okta's group rename sends {"id", "displayName"}.
      if (r && !r.extensionContainer && (r.attr.mutability === "readOnly" || r.def.mutability === "readOnly")) continue;
      if (!r && !/\[/.test(k)) continue; // unknown attributes (other schemas) are ignored, as on POST
      applyOne(rt, data, memberOps, op, k, v);
    }
    return;
  }
  const t = parsePath(rt, path);
  const { r } = t;

  // Group members live in their own table: turn operations into member operations for the adapter.
  if (rt.kind === "Group" && r.attr.name === "members") {
    if (t.sub || r.sub) throw badPath(`path "${path.slice(0, 200)}": members can only be added or removed whole`);
    if (t.filter) {
      if (op !== "remove") throw badPath(`"${op}" on a members filter is not supported: add or remove members`);
      memberOps.push({ kind: "remove", values: memberFilterValues(t.filter) });
      return;
    }
    if (op === "remove") {
      if (value === undefined || value === null) memberOps.push({ kind: "replace", values: [] });
      else memberOps.push({ kind: "remove", values: memberValues(rt, value) });
      return;
    }
    memberOps.push({ kind: op, values: memberValues(rt, value) });
    return;
  }

  if (r.extensionContainer) {
    if (op === "remove") {
      setAt(data, r.keys, undefined);
      return;
    }
    if (!isObject(value)) throw badValue(`"${r.schema.id}" needs an object value`);
    if (op === "replace") setAt(data, r.keys, undefined);
    for (const [k, v] of Object.entries(value)) {
      const sr = resolvePath(rt, `${r.schema.id}:${k}`);
      if (!sr || sr.def.mutability === "readOnly") continue;
      applyOne(rt, data, memberOps, op, `${r.schema.id}:${k}`, v);
    }
    return;
  }

  checkWritable(t);
  if (r.attr.mutability === "writeOnly") return; // password: accepted, never stored

  if (t.filter) return applyFiltered(data, op, t, value);

  if (r.sub) {
    // name.familyName, manager.value, or emails.value (every element of a multi-valued attribute).
    if (r.attr.multiValued) {
      const arr = getAt(data, r.keys.slice(0, -1));
      const items = Array.isArray(arr) ? arr : [];
      if (op === "remove") items.forEach((e) => isObject(e) && delete e[r.sub!.name]);
      else {
        const n = normalizeSingle(r.sub, value, path);
        if (items.length === 0) setAt(data, r.keys.slice(0, -1), [{ [r.sub.name]: n }]);
        else items.forEach((e) => isObject(e) && (e[r.sub!.name] = n));
      }
      return;
    }
    setAt(data, r.keys, op === "remove" ? undefined : normalizeSingle(r.sub, value, path));
    return;
  }

  const current = getAt(data, r.keys);
  if (op === "remove") {
    if (r.attr.multiValued && value !== undefined && value !== null && Array.isArray(current)) {
      // Remove the listed values only (Entra sends a value array with remove).
      const drop = (Array.isArray(value) ? value : [value]).map((v) => normalizeSingle(r.attr, v, path));
      setAt(data, r.keys, current.filter((e) => !drop.some((d) => isObject(d) && isObject(e) ? d.value !== undefined && d.value === e.value : sameElement(d, e))));
    } else setAt(data, r.keys, undefined);
    return;
  }
  const n = normalizeAttr(r.attr, value, path);
  if (op === "add" && r.attr.multiValued && Array.isArray(current)) {
    const merged = [...current];
    for (const x of (n as unknown[] | undefined) ?? []) if (!merged.some((e) => sameElement(e, x))) merged.push(x);
    fixPrimary(merged);
    setAt(data, r.keys, merged);
  } else if (op === "add" && r.attr.type === "complex" && !r.attr.multiValued && isObject(current) && isObject(n)) {
    setAt(data, r.keys, { ...current, ...n }); // add merges sub-attributes of a single complex attribute
  } else {
    setAt(data, r.keys, n);
  }
}

function applyFiltered(data: ResourceData, op: OpName, t: Target, value: unknown): void {
  const { r, filter, sub } = t;
  const current = getAt(data, r.keys);
  const items: unknown[] = Array.isArray(current) ? [...current] : [];
  const matches = items.map((e) => isObject(e) && evaluate(filter!, e));
  if (op === "remove") {
    if (sub) items.forEach((e, i) => matches[i] && isObject(e) && delete e[sub.name]);
    setAt(data, r.keys, sub ? items : items.filter((_, i) => !matches[i]));
    return;
  }
  const text = t.text.slice(0, 200);
  if (!matches.some(Boolean)) {
    // Entra: `replace emails[type eq "work"].value` on a user without a work email creates it.
    const seed = elementFromFilter(filter!);
    if (!seed) throw new ScimError(400, "noTarget", `path "${text}" matches no value`);
    const el = sub ? { ...seed, [sub.name]: value } : isObject(value) ? { ...seed, ...value } : undefined;
    if (!el) throw badValue(`path "${text}" needs an object value`);
    const n = normalizeSingle(r.attr, el, t.text);
    if (n !== undefined) items.push(n);
  } else {
    for (let i = 0; i < items.length; i++) {
      if (!matches[i]) continue;
      const e = items[i] as Record<string, unknown>;
      if (sub) {
        const n = normalizeSingle(sub, value, t.text);
        if (n === undefined) delete e[sub.name];
        else e[sub.name] = n;
      } else {
        if (!isObject(value)) throw badValue(`path "${text}" needs an object value`);
        const n = normalizeSingle(r.attr, op === "add" ? { ...e, ...value } : value, t.text);
        items[i] = n;
      }
    }
  }
  const out = items.filter((x) => x !== undefined);
  fixPrimary(out);
  setAt(data, r.keys, out);
}

function field(op: Record<string, unknown>, name: string): unknown {
  const k = Object.keys(op).find((x) => x.toLowerCase() === name);
  return k === undefined ? undefined : op[k];
}

/** Apply a PatchOp body to stored data. Pure: returns new data and member operations, or throws ScimError. */
export function applyPatch(rt: ResourceTypeDef, data: ResourceData, body: unknown): PatchResult {
  if (!isObject(body)) throw badSyntax("PATCH body must be a JSON object");
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === PATCH_SCHEMA.toLowerCase()))
    throw badSyntax(`"schemas" must include "${PATCH_SCHEMA}"`);
  const ops = field(body, "operations");
  if (!Array.isArray(ops)) throw badSyntax(`"Operations" must be an array`);
  // RFC 7644 §3.5.2: "Operations" is an array of one or more PATCH operations.
  if (ops.length === 0) throw badValue(`"Operations" must contain at least one operation`);
  if (ops.length > MAX_PATCH_OPERATIONS) throw badSyntax(`more than ${MAX_PATCH_OPERATIONS} operations`);
  const before = JSON.stringify(data);
  const work = structuredClone(data);
  const memberOps: MemberOp[] = [];
  for (const raw of ops) {
    if (!isObject(raw)) throw badSyntax("each operation must be an object");
    const name = field(raw, "op");
    if (typeof name !== "string" || !["add", "replace", "remove"].includes(name.toLowerCase()))
      throw badSyntax(`"op" must be add, replace or remove`);
    const path = field(raw, "path");
    if (path !== undefined && path !== null && typeof path !== "string") throw badPath(`"path" must be a string`);
    const value = field(raw, "value");
    if ((name.toLowerCase() === "add" || name.toLowerCase() === "replace") && value === undefined)
      throw badValue(`"${name}" needs a "value"`);
    applyOne(rt, work, memberOps, name.toLowerCase() as OpName, (path as string | null | undefined) ?? undefined, value);
  }
  prune(work);
  checkRequired(rt, work);
  return { data: work, memberOps, changed: JSON.stringify(work) !== before || memberOps.length > 0 };
}
