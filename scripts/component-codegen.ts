// Writes the component's _generated/ (api.ts, server.ts, dataModel.ts, component.ts) in the shape `convex dev`
// generates for a component. The Convex CLI asks a backend for a component's code and none runs offline
// (`convex codegen --component-dir` writes nothing with --system-udfs), so this script derives it from the
// module list; the types come from the modules themselves (ApiFromModules), so the committed ComponentApi
// cannot drift from the functions. `--check` fails when the committed files differ (npm run check:generated).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const DIR = resolve(import.meta.dirname, "..", "src", "component");
const OUT = join(DIR, "_generated");
const SKIP = new Set(["schema", "convex.config", "_generated"]);

function modules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP.has(name)) out.push(...modules(path));
    } else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) {
      const mod = relative(DIR, path).replace(/\\/g, "/").replace(/\.ts$/, "");
      if (!SKIP.has(mod)) out.push(mod);
    }
  }
  return out.sort();
}

const HEADER = (what: string) => `/* eslint-disable */
/**
 * Generated ${what} utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run \`npm run codegen\` (scripts/component-codegen.ts).
 * @module
 */
`;

const ident = (mod: string) => mod.replace(/[/.-]/g, "_");
const key = (mod: string) => (/^[A-Za-z_$][\w$]*$/.test(mod) ? mod : JSON.stringify(mod));

function moduleImports(mods: string[]) {
  return mods.map((m) => `import type * as ${ident(m)} from "../${m}.js";`).join("\n");
}
function moduleMap(mods: string[]) {
  return `ApiFromModules<{\n${mods.map((m) => `  ${key(m)}: typeof ${ident(m)};`).join("\n")}\n}>`;
}

function apiTs(mods: string[]) {
  return `${HEADER("`api`")}
${moduleImports(mods)}

import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ${moduleMap(mods)} = anyApi as any;

/** References to the component's public functions: \`api.myModule.myFunction\`. */
export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;

/** References to the component's internal functions: \`internal.myModule.myFunction\`. */
export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;

export const components = componentsGeneric() as unknown as {};
`;
}

function componentTs(mods: string[]) {
  return `${HEADER("`ComponentApi`")}
${moduleImports(mods)}

import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";

type ComponentFunctions = FilterApi<${moduleMap(mods)}, FunctionReference<any, any>>;

/** Ids cross the component boundary as plain strings (as in the code \`convex dev\` generates). */
type IdsAsStrings<T> =
  T extends GenericId<any>
    ? string
    : T extends Array<infer U>
      ? Array<IdsAsStrings<U>>
      : T extends Record<string, unknown>
        ? { [K in keyof T]: IdsAsStrings<T[K]> }
        : T;

type AsComponent<T, Name extends string | undefined> =
  T extends FunctionReference<infer Type, any, infer Args, infer Returns>
    ? FunctionReference<Type, "internal", IdsAsStrings<Args>, IdsAsStrings<Returns>, Name>
    : { [K in keyof T]: AsComponent<T[K], Name> };

/**
 * A utility for referencing the component's exposed API (\`components.ssoGateway\` in the app).
 *
 * Every function of the component is callable by the app that mounts it (see src/component/lib/functions.ts).
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = AsComponent<ComponentFunctions, Name>;
`;
}

const SERVER_TS = `${HEADER("backend")}
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import type {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

export const query: QueryBuilder<DataModel, "public"> = queryGeneric;
export const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;
export const mutation: MutationBuilder<DataModel, "public"> = mutationGeneric;
export const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;
export const action: ActionBuilder<DataModel, "public"> = actionGeneric;
export const internalAction: ActionBuilder<DataModel, "internal"> = internalActionGeneric;
export const httpAction: HttpActionBuilder = httpActionGeneric;

export type QueryCtx = GenericQueryCtx<DataModel>;
export type MutationCtx = GenericMutationCtx<DataModel>;
export type ActionCtx = GenericActionCtx<DataModel>;
export type DatabaseReader = GenericDatabaseReader<DataModel>;
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
`;

const DATA_MODEL_TS = `${HEADER("data model")}
import type { DataModelFromSchemaDefinition, DocumentByName, TableNamesInDataModel, SystemTableNames } from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

export type TableNames = TableNamesInDataModel<DataModel>;
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
`;

const mods = modules(DIR);
const files: Record<string, string> = {
  "api.ts": apiTs(mods),
  "component.ts": componentTs(mods),
  "server.ts": SERVER_TS,
  "dataModel.ts": DATA_MODEL_TS,
};

if (process.argv.includes("--check")) {
  const stale = Object.entries(files).filter(([name, text]) => !existsSync(join(OUT, name)) || readFileSync(join(OUT, name), "utf8") !== text);
  if (stale.length) {
    console.error(`src/component/_generated is stale (${stale.map(([n]) => n).join(", ")}): run npm run codegen and commit`);
    process.exit(1);
  }
  console.log(`src/component/_generated is up to date (${mods.length} modules)`);
} else {
  mkdirSync(OUT, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(OUT, name), text);
  console.log(`wrote src/component/_generated (${mods.length} modules)`);
}
