/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as http from "../http.js";
import type * as scim_admin from "../scim/admin.js";
import type * as scim_api from "../scim/api.js";
import type * as scim_http from "../scim/http.js";
import type * as scim_link from "../scim/link.js";
import type * as scim_store from "../scim/store.js";
import type * as tables_core from "../tables/core.js";
import type * as tables_scim from "../tables/scim.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  http: typeof http;
  "scim/admin": typeof scim_admin;
  "scim/api": typeof scim_api;
  "scim/http": typeof scim_http;
  "scim/link": typeof scim_link;
  "scim/store": typeof scim_store;
  "tables/core": typeof tables_core;
  "tables/scim": typeof tables_scim;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
