// SCIM filters (RFC 7644 §3.4.2.2): parse with scim2-parse-filter's parser, then validate against our schema
// and evaluate with our own code. Why not the library's evaluator: it matches value-path sub-filters across
// different elements of a multi-valued attribute and compares case-sensitively regardless of caseExact.
import type { Filter as LibFilter } from "scim2-parse-filter";
import { parseFilter as libParseFilter, Tokens, tokenizer, type Token } from "scim2-parse-filter/lib/src/parser.js";
import { ScimError, badFilter } from "./errors";
import { findSubAttr, resolvePath, type AttrDef, type ResourceTypeDef } from "./schemas";

export type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "lt" | "ge" | "le";
export type CompValue = string | number | boolean | null;

/** A validated filter. `keys` are canonical keys relative to the scope (resource root, or element in a value path). */
export type FilterNode =
  | { k: "cmp"; op: CompareOp; keys: readonly string[]; def: AttrDef; value: CompValue; path: string }
  | { k: "pr"; keys: readonly string[]; def: AttrDef; path: string }
  | { k: "and" | "or"; items: FilterNode[] }
  | { k: "not"; item: FilterNode }
  | { k: "vp"; keys: readonly string[]; def: AttrDef; filter: FilterNode; path: string };

export const MAX_FILTER_LENGTH = 4096;
const COMPARE_OPS = new Set(["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"]);
const LOGICAL = new Set(["and", "or", "not"]);

/**
 * The library's tokenizer doubles every backslash that is not followed by a quote inside quoted strings
 * (so JSON.parse would see "a\\\\b" for "a\\b"); undo that so escapes mean what RFC 7159 says.
 */
function repairQuoted(lit: string): string {
  let out = "";
  for (let i = 0; i < lit.length; i++) {
    const c = lit[i]!;
    if (c === "\\" && lit[i + 1] === "\\") {
      out += "\\";
      i++;
    } else out += c;
  }
  return out;
}

/**
 * Entra ID sends some values unquoted (e.g. `externalId eq 5e8c…` or an email). Tolerate a bare word
 * right after a comparison operator when it cannot be read as anything else: it is quoted as a string.
 */
function tolerateUnquoted(tokens: Token[]): Token[] {
  return tokens.map((t, i) => {
    if (t.type === "Quoted") return { ...t, literal: repairQuoted(t.literal) };
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (
      t.type === "Word" &&
      prev?.type === "Word" &&
      COMPARE_OPS.has(prev.literal.toLowerCase()) &&
      !["true", "false", "null"].includes(t.literal) &&
      (next === undefined || next.type === "EOT" || next.literal === ")" || next.literal.startsWith("]") ||
        (next.type === "Word" && LOGICAL.has(next.literal.toLowerCase())))
    ) {
      return { type: "Quoted", literal: JSON.stringify(t.literal) };
    }
    return t;
  });
}

function libParse(text: string): LibFilter {
  let tokens: Token[];
  try {
    tokens = tokenizer(text);
  } catch {
    // A single comparison whose bare value holds characters the tokenizer rejects (e.g. '@'): unambiguous.
    const m = /^\s*([A-Za-z][\w.:$-]*)\s+(eq|ne|co|sw|ew|gt|ge|lt|le)\s+([^\s"()[\]]+)\s*$/i.exec(text);
    if (!m) throw badFilter("filter is not well-formed");
    tokens = tokenizer(`${m[1]} ${m[2]} ${JSON.stringify(m[3])}`);
  }
  const list = new Tokens(tolerateUnquoted(tokens));
  const f = libParseFilter(list);
  if (list.peek().type !== "EOT") throw badFilter("filter has trailing text");
  return f;
}

/**
 * The library rewrites `a[x].sub op v` into `a[x] and a.sub op v`, losing "same element". When the text has
 * that form, put the comparison back inside the value path (RFC 7644 §3.5.2 value path semantics).
 */
function mergeSubAttrAfterValuePath(f: LibFilter): LibFilter {
  switch (f.op) {
    case "and": {
      const [first, second] = f.filters;
      if (
        f.filters.length === 2 &&
        first?.op === "[]" &&
        second &&
        "attrPath" in second &&
        second.op !== "[]" &&
        second.attrPath.toLowerCase().startsWith(first.attrPath.toLowerCase() + ".")
      ) {
        const sub = { ...second, attrPath: second.attrPath.slice(first.attrPath.length + 1) } as LibFilter;
        return { op: "[]", attrPath: first.attrPath, valFilter: { op: "and", filters: [first.valFilter, sub] } };
      }
      return { op: "and", filters: f.filters.map(mergeSubAttrAfterValuePath) };
    }
    case "or":
      return { op: "or", filters: f.filters.map(mergeSubAttrAfterValuePath) };
    case "not":
      return { op: "not", filter: mergeSubAttrAfterValuePath(f.filter) };
    default:
      return f;
  }
}

interface Scope {
  rt: ResourceTypeDef;
  /** When inside a value path: the multi-valued (or complex) attribute whose elements are tested. */
  parent?: AttrDef;
}

function checkValue(op: CompareOp, def: AttrDef, value: CompValue, path: string): CompValue {
  if (def.type === "complex") throw badFilter(`attribute "${path}" is complex: compare one of its sub-attributes`);
  if (value === null) {
    if (op !== "eq" && op !== "ne") throw badFilter(`operator "${op}" needs a value for "${path}"`);
    return null;
  }
  switch (def.type) {
    case "boolean": {
      if (op !== "eq" && op !== "ne") throw badFilter(`operator "${op}" is not defined for boolean "${path}"`);
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      throw badFilter(`attribute "${path}" is boolean: compare with true or false`);
    }
    case "integer":
    case "decimal": {
      if (op === "co" || op === "sw" || op === "ew") throw badFilter(`operator "${op}" is not defined for number "${path}"`);
      if (typeof value === "number") return value;
      throw badFilter(`attribute "${path}" is a number`);
    }
    case "dateTime": {
      if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
        throw badFilter(`attribute "${path}" is a dateTime: compare with an RFC 3339 string`);
      return value;
    }
    case "binary":
      if (op !== "eq" && op !== "ne") throw badFilter(`operator "${op}" is not defined for binary "${path}"`);
      return typeof value === "string" ? value : String(value);
    default:
      // Strings and references: numbers/booleans given unquoted are compared as their text.
      return typeof value === "string" ? value : String(value);
  }
}

function resolveIn(scope: Scope, attrPath: string): { keys: string[]; def: AttrDef } {
  if (scope.parent) {
    const sub = findSubAttr(scope.parent, attrPath);
    if (!sub) throw badFilter(`filter uses unsupported attribute "${attrPath.slice(0, 200)}" inside "${scope.parent.name}[...]"`);
    return { keys: [sub.name], def: sub };
  }
  const r = resolvePath(scope.rt, attrPath);
  if (!r || r.extensionContainer) throw badFilter(`filter uses unsupported attribute "${attrPath.slice(0, 200)}"`);
  if (r.def.returned === "never") throw badFilter(`attribute "${attrPath}" cannot be filtered`);
  let keys = [...r.keys];
  let def = r.def;
  // A multi-valued complex attribute compared directly means its "value" (RFC 7644 §3.4.2.2, e.g. emails co "x").
  if (def.type === "complex" && def.multiValued) {
    const value = findSubAttr(def, "value");
    if (value) {
      keys = [...keys, value.name];
      def = value;
    }
  }
  return { keys, def };
}

function validate(f: LibFilter, scope: Scope, depth: number): FilterNode {
  if (depth > 50) throw badFilter("filter nests too deeply");
  switch (f.op) {
    case "and":
    case "or":
      return { k: f.op, items: f.filters.map((x) => validate(x, scope, depth + 1)) };
    case "not":
      return { k: "not", item: validate(f.filter, scope, depth + 1) };
    case "[]": {
      if (scope.parent) throw badFilter(`value paths cannot nest ("${f.attrPath}")`);
      const r = resolvePath(scope.rt, f.attrPath);
      if (!r || r.extensionContainer || r.sub) throw badFilter(`filter uses unsupported attribute "${f.attrPath.slice(0, 200)}"`);
      if (r.def.type !== "complex") throw badFilter(`attribute "${f.attrPath}" is not complex: no value filter allowed`);
      return { k: "vp", keys: r.keys, def: r.def, filter: validate(f.valFilter, { rt: scope.rt, parent: r.def }, depth + 1), path: f.attrPath };
    }
    case "pr": {
      const { keys, def } = resolveIn(scope, f.attrPath);
      return { k: "pr", keys, def, path: f.attrPath };
    }
    default: {
      const op = f.op as string;
      if (!COMPARE_OPS.has(op)) throw badFilter(`unsupported operator "${op}"`);
      const cmp = f as { op: CompareOp; attrPath: string; compValue: CompValue };
      const { keys, def } = resolveIn(scope, cmp.attrPath);
      return { k: "cmp", op: cmp.op, keys, def, value: checkValue(cmp.op, def, cmp.compValue, cmp.attrPath), path: cmp.attrPath };
    }
  }
}

/** Parse and validate a filter for a resource type. Throws ScimError 400 invalidFilter. */
export function parseFilter(text: string, rt: ResourceTypeDef): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw badFilter(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  if (text.trim() === "") throw badFilter("filter is empty");
  let lib: LibFilter;
  try {
    lib = libParse(text);
  } catch (e) {
    if (e instanceof ScimError) throw e;
    throw badFilter("filter is not well-formed");
  }
  const hasSubAfterValuePath = /\]\s*\./.test(text);
  return validate(hasSubAfterValuePath ? mergeSubAttrAfterValuePath(lib) : lib, { rt }, 0);
}

/** Parse a filter for use inside a value path of a PATCH path (`emails[type eq "work"]`). */
export function parseValueFilter(text: string, rt: ResourceTypeDef, parent: AttrDef): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw badFilter(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  let lib: LibFilter;
  try {
    lib = libParse(text);
  } catch (e) {
    if (e instanceof ScimError) throw e;
    throw badFilter("value filter is not well-formed");
  }
  return validate(lib, { rt, parent }, 1);
}

// ---------------- evaluation ----------------

/** Collect the values at `keys` under `node`, flattening arrays (multi-valued attributes) on the way. */
export function collect(node: unknown, keys: readonly string[]): unknown[] {
  let current: unknown[] = [node];
  for (const key of keys) {
    const next: unknown[] = [];
    for (const c of current) {
      for (const item of Array.isArray(c) ? c : [c]) {
        if (item && typeof item === "object" && !Array.isArray(item)) {
          const v = getCI(item as Record<string, unknown>, key);
          if (v !== undefined && v !== null) next.push(v);
        }
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** Property lookup: exact key first, then case-insensitive (stored data uses canonical case). */
export function getCI(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const l = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === l) return obj[k];
  return undefined;
}

const isPresent = (v: unknown) =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

function compareOne(op: CompareOp, def: AttrDef, actual: unknown, expected: CompValue): boolean {
  if (expected === null) return false;
  if (def.type === "boolean") {
    const b = typeof actual === "boolean" ? actual : typeof actual === "string" ? actual.toLowerCase() === "true" : undefined;
    return b !== undefined && b === expected;
  }
  if (def.type === "integer" || def.type === "decimal") {
    if (typeof actual !== "number" || typeof expected !== "number") return false;
    return ord(op, actual - expected);
  }
  if (def.type === "dateTime") {
    const x = typeof actual === "string" ? Date.parse(actual) : NaN;
    const y = Date.parse(String(expected));
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
    if (op === "co" || op === "sw" || op === "ew") return strOp(op, String(actual), String(expected));
    return ord(op, x - y);
  }
  if (typeof actual !== "string") return false;
  const fold = (s: string) => (def.caseExact ? s : s.toLowerCase());
  const a = fold(actual);
  const e = fold(String(expected));
  if (op === "co" || op === "sw" || op === "ew") return strOp(op, a, e);
  return ord(op, a < e ? -1 : a > e ? 1 : 0);
}

function strOp(op: "co" | "sw" | "ew", a: string, e: string): boolean {
  return op === "co" ? a.includes(e) : op === "sw" ? a.startsWith(e) : a.endsWith(e);
}

function ord(op: CompareOp, d: number): boolean {
  switch (op) {
    case "eq": return d === 0;
    case "gt": return d > 0;
    case "ge": return d >= 0;
    case "lt": return d < 0;
    case "le": return d <= 0;
    default: return false;
  }
}

/** Evaluate a validated filter against one resource (or one element, inside a value path). */
export function evaluate(f: FilterNode, scope: unknown): boolean {
  switch (f.k) {
    case "and":
      return f.items.every((x) => evaluate(x, scope));
    case "or":
      return f.items.some((x) => evaluate(x, scope));
    case "not":
      return !evaluate(f.item, scope);
    case "pr":
      return collect(scope, f.keys).some(isPresent);
    case "vp": {
      // Each element is tested on its own: `emails[type eq "work" and value co "@x"]` needs ONE element with both.
      const elements = collect(scope, f.keys).filter((e) => e && typeof e === "object");
      return elements.some((e) => evaluate(f.filter, e));
    }
    case "cmp": {
      const values = collect(scope, f.keys);
      if (f.value === null) {
        const present = values.some(isPresent);
        return f.op === "eq" ? !present : present;
      }
      if (f.op === "ne") return !values.some((v) => compareOne("eq", f.def, v, f.value));
      return values.some((v) => compareOne(f.op, f.def, v, f.value));
    }
  }
}

/** Attribute paths (top-level canonical key) a filter touches: lets the adapter load computed attributes only if needed. */
export function touches(f: FilterNode, top: string): boolean {
  switch (f.k) {
    case "and":
    case "or":
      return f.items.some((x) => touches(x, top));
    case "not":
      return touches(f.item, top);
    default:
      return f.keys[0] === top;
  }
}

// ---------------- index planning ----------------

export type IndexKey = "id" | "userName" | "externalId" | "emails.value" | "displayName";
export interface IndexLookup {
  index: IndexKey;
  /** The value as given; the adapter lower-cases for case-insensitive indexes. */
  value: string;
}
/** Either a set of index lookups whose union is a superset of the matches, or "scan". */
export type Plan = { kind: "lookup"; lookups: IndexLookup[] } | { kind: "scan" };

const PLANNABLE: Record<"User" | "Group", Record<string, IndexKey>> = {
  User: { id: "id", userName: "userName", externalId: "externalId", "emails.value": "emails.value", displayName: "displayName" },
  Group: { id: "id", externalId: "externalId", displayName: "displayName" },
};

function lookupOf(f: FilterNode, kind: "User" | "Group", prefix: readonly string[] = []): IndexLookup[] | undefined {
  switch (f.k) {
    case "cmp": {
      if (f.op !== "eq" || typeof f.value !== "string") return undefined;
      const idx = PLANNABLE[kind][[...prefix, ...f.keys].join(".")];
      return idx ? [{ index: idx, value: f.value }] : undefined;
    }
    case "vp":
      return lookupOf(f.filter, kind, f.keys);
    case "and": {
      // Any one plannable conjunct narrows the candidates; the full filter is still evaluated on them.
      const order: IndexKey[] = ["id", "userName", "externalId", "emails.value", "displayName"];
      const found = f.items.map((x) => lookupOf(x, kind, prefix)).filter((x): x is IndexLookup[] => !!x);
      found.sort((x, y) => Math.max(...x.map((l) => order.indexOf(l.index))) - Math.max(...y.map((l) => order.indexOf(l.index))));
      return found[0];
    }
    case "or": {
      const parts = f.items.map((x) => lookupOf(x, kind, prefix));
      if (parts.some((p) => !p)) return undefined;
      return parts.flat() as IndexLookup[];
    }
    default:
      return undefined;
  }
}

/** Turn `userName eq`, `externalId eq`, `emails.value eq`, `displayName eq`, `id eq` (ANDed/ORed) into lookups. */
export function planFilter(f: FilterNode, kind: "User" | "Group"): Plan {
  const lookups = lookupOf(f, kind);
  return lookups && lookups.length <= 50 ? { kind: "lookup", lookups } : { kind: "scan" };
}

export { ScimError };
