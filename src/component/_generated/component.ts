/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npm run codegen` (scripts/component-codegen.ts).
 * @module
 */

import type * as admin_apps from "../admin/apps.js";
import type * as admin_groups from "../admin/groups.js";
import type * as admin_memberships from "../admin/memberships.js";
import type * as admin_seed from "../admin/seed.js";
import type * as callbacks from "../callbacks.js";
import type * as crons from "../crons.js";
import type * as events_apiKeys from "../events/apiKeys.js";
import type * as events_audit from "../events/audit.js";
import type * as events_delivery from "../events/delivery.js";
import type * as events_http from "../events/http.js";
import type * as events_pull from "../events/pull.js";
import type * as events_queue from "../events/queue.js";
import type * as events_record from "../events/record.js";
import type * as events_seed from "../events/seed.js";
import type * as events_subscribers from "../events/subscribers.js";
import type * as events_webhooks from "../events/webhooks.js";
import type * as lib_crypto from "../lib/crypto.js";
import type * as lib_domains from "../lib/domains.js";
import type * as lib_env from "../lib/env.js";
import type * as lib_functions from "../lib/functions.js";
import type * as lib_http from "../lib/http.js";
import type * as lib_keys from "../lib/keys.js";
import type * as lib_lookups from "../lib/lookups.js";
import type * as lib_pages from "../lib/pages.js";
import type * as lib_settings from "../lib/settings.js";
import type * as limits from "../limits.js";
import type * as maintenance from "../maintenance.js";
import type * as oauth_grants from "../oauth/grants.js";
import type * as oauth_http from "../oauth/http.js";
import type * as oidc_admin from "../oidc/admin.js";
import type * as oidc_http from "../oidc/http.js";
import type * as oidc_runtime from "../oidc/runtime.js";
import type * as oidc_start from "../oidc/start.js";
import type * as oidc_store from "../oidc/store.js";
import type * as portal_certificates from "../portal/certificates.js";
import type * as portal_certificatesHttp from "../portal/certificatesHttp.js";
import type * as portal_domains from "../portal/domains.js";
import type * as portal_http from "../portal/http.js";
import type * as portal_links from "../portal/links.js";
import type * as portal_operator from "../portal/operator.js";
import type * as portal_operatorHttp from "../portal/operatorHttp.js";
import type * as portal_respond from "../portal/respond.js";
import type * as portal_session from "../portal/session.js";
import type * as portal_sso from "../portal/sso.js";
import type * as portal_testSignIn from "../portal/testSignIn.js";
import type * as saml_acs from "../saml/acs.js";
import type * as saml_acsHttp from "../saml/acsHttp.js";
import type * as saml_admin from "../saml/admin.js";
import type * as saml_cron from "../saml/cron.js";
import type * as saml_http from "../saml/http.js";
import type * as saml_lib from "../saml/lib.js";
import type * as saml_metadata from "../saml/metadata.js";
import type * as saml_requests from "../saml/requests.js";
import type * as saml_slo from "../saml/slo.js";
import type * as saml_sloHttp from "../saml/sloHttp.js";
import type * as saml_start from "../saml/start.js";
import type * as scim_admin from "../scim/admin.js";
import type * as scim_api from "../scim/api.js";
import type * as scim_forgetUser from "../scim/forgetUser.js";
import type * as scim_http from "../scim/http.js";
import type * as scim_link from "../scim/link.js";
import type * as scim_requestLog from "../scim/requestLog.js";
import type * as scim_store from "../scim/store.js";
import type * as sessions from "../sessions.js";
import type * as signin from "../signin.js";
import type * as sso_authorize from "../sso/authorize.js";
import type * as tables_core from "../tables/core.js";
import type * as tables_events from "../tables/events.js";
import type * as tables_oidc from "../tables/oidc.js";
import type * as tables_operator from "../tables/operator.js";
import type * as tables_portal from "../tables/portal.js";
import type * as tables_saml from "../tables/saml.js";
import type * as tables_scim from "../tables/scim.js";
import type * as tables_scimLog from "../tables/scimLog.js";
import type * as traces from "../traces.js";

import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";

type ComponentFunctions = FilterApi<ApiFromModules<{
  "admin/apps": typeof admin_apps;
  "admin/groups": typeof admin_groups;
  "admin/memberships": typeof admin_memberships;
  "admin/seed": typeof admin_seed;
  callbacks: typeof callbacks;
  crons: typeof crons;
  "events/apiKeys": typeof events_apiKeys;
  "events/audit": typeof events_audit;
  "events/delivery": typeof events_delivery;
  "events/http": typeof events_http;
  "events/pull": typeof events_pull;
  "events/queue": typeof events_queue;
  "events/record": typeof events_record;
  "events/seed": typeof events_seed;
  "events/subscribers": typeof events_subscribers;
  "events/webhooks": typeof events_webhooks;
  "lib/crypto": typeof lib_crypto;
  "lib/domains": typeof lib_domains;
  "lib/env": typeof lib_env;
  "lib/functions": typeof lib_functions;
  "lib/http": typeof lib_http;
  "lib/keys": typeof lib_keys;
  "lib/lookups": typeof lib_lookups;
  "lib/pages": typeof lib_pages;
  "lib/settings": typeof lib_settings;
  limits: typeof limits;
  maintenance: typeof maintenance;
  "oauth/grants": typeof oauth_grants;
  "oauth/http": typeof oauth_http;
  "oidc/admin": typeof oidc_admin;
  "oidc/http": typeof oidc_http;
  "oidc/runtime": typeof oidc_runtime;
  "oidc/start": typeof oidc_start;
  "oidc/store": typeof oidc_store;
  "portal/certificates": typeof portal_certificates;
  "portal/certificatesHttp": typeof portal_certificatesHttp;
  "portal/domains": typeof portal_domains;
  "portal/http": typeof portal_http;
  "portal/links": typeof portal_links;
  "portal/operator": typeof portal_operator;
  "portal/operatorHttp": typeof portal_operatorHttp;
  "portal/respond": typeof portal_respond;
  "portal/session": typeof portal_session;
  "portal/sso": typeof portal_sso;
  "portal/testSignIn": typeof portal_testSignIn;
  "saml/acs": typeof saml_acs;
  "saml/acsHttp": typeof saml_acsHttp;
  "saml/admin": typeof saml_admin;
  "saml/cron": typeof saml_cron;
  "saml/http": typeof saml_http;
  "saml/lib": typeof saml_lib;
  "saml/metadata": typeof saml_metadata;
  "saml/requests": typeof saml_requests;
  "saml/slo": typeof saml_slo;
  "saml/sloHttp": typeof saml_sloHttp;
  "saml/start": typeof saml_start;
  "scim/admin": typeof scim_admin;
  "scim/api": typeof scim_api;
  "scim/forgetUser": typeof scim_forgetUser;
  "scim/http": typeof scim_http;
  "scim/link": typeof scim_link;
  "scim/requestLog": typeof scim_requestLog;
  "scim/store": typeof scim_store;
  sessions: typeof sessions;
  signin: typeof signin;
  "sso/authorize": typeof sso_authorize;
  "tables/core": typeof tables_core;
  "tables/events": typeof tables_events;
  "tables/oidc": typeof tables_oidc;
  "tables/operator": typeof tables_operator;
  "tables/portal": typeof tables_portal;
  "tables/saml": typeof tables_saml;
  "tables/scim": typeof tables_scim;
  "tables/scimLog": typeof tables_scimLog;
  traces: typeof traces;
}>, FunctionReference<any, any>>;

/** Ids cross the component boundary as plain strings (as in the code `convex dev` generates). */
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
 * A utility for referencing the component's exposed API (`components.ssoGateway` in the app).
 *
 * Every function of the component is callable by the app that mounts it (see src/component/lib/functions.ts).
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = AsComponent<ComponentFunctions, Name>;
