// SCIM HTTP action: authenticate (hash the bearer token) → parse the request line → ONE internal mutation
// (src/component/scim/api.ts: verifies the token, validates, writes) → render application/scim+json.
// The router has no path parameters: routes are registered with pathPrefix "/scim/v2/".
import { ConvexError } from "convex/values";
import type { HttpRouter } from "convex/server";
import { internal } from "../_generated/api";
import { httpAction, type ActionCtx } from "../lib/functions";
import { clientAddressKey } from "../../shared/clientAddress";
import { ScimError, renderError } from "../../scim/errors";
import { LIMITS } from "../../scim/schemas";
import { BodyTooLargeError, readBodyCapped } from "../../shared/body";
import { sha256b64url } from "./store";
import { bearerToken as bearer } from "../lib/http";

export const SCIM_PREFIX = "/scim/v2/";
const CONTENT_TYPE = "application/scim+json; charset=utf-8";

function errorResponse(e: ScimError, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(renderError(e)), { status: e.status, headers: { "Content-Type": CONTENT_TYPE, ...extra } });
}


function acceptableContentType(req: Request): boolean {
  const ct = req.headers.get("content-type");
  if (!ct) return true;
  const mime = ct.split(";")[0]!.trim().toLowerCase();
  return mime === "application/scim+json" || mime === "application/json";
}

async function readBody(req: Request): Promise<string | undefined> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readBodyCapped(req, LIMITS.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new ScimError(413, undefined, `request body is larger than ${LIMITS.maxBodyBytes} bytes`);
    throw e;
  }
  if (bytes === null) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ScimError(400, "invalidSyntax", "request body is not UTF-8");
  }
}

/** The methods RFC 7644 §3.2 defines; every other method on a SCIM route is a SCIM 405. */
const SCIM_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** What is known of the request when it fails: enough for the request log (src/component/scim/requestLog.ts). */
interface Attempt {
  receivedAt: number;
  address?: string;
  directory?: string;
  method?: string;
  segments?: string[];
  hasQuery?: boolean;
  tokenHash?: string;
}

/**
 * 401 counts against the address (and the directory) and is logged against an existing directory (one row per
 * minute); other failures of a caller whose token is valid are logged; 429 carries Retry-After (RFC 7644 §3.12,
 * RFC 6585 §4).
 */
async function failureHeaders(ctx: ActionCtx, e: ScimError, at: Attempt): Promise<Record<string, string>> {
  if (e.status === 429) return { "Retry-After": /retry after (\d+) s/.exec(e.detail)?.[1] ?? "60" };
  if (e.status === 405 && at.tokenHash === undefined) return { Allow: SCIM_METHODS.join(", ") };
  const request = { method: at.method ?? "", segments: at.segments ?? [], hasQuery: at.hasQuery ?? false, durationMs: Date.now() - at.receivedAt };
  if (e.status === 401) {
    if (at.address !== undefined && at.directory !== undefined) {
      await ctx.runMutation(internal.limits.recordScimAuthFailure, {
        address: at.address,
        directory: at.directory.slice(0, 64),
        request,
        ...(at.tokenHash !== undefined ? { tokenHash: at.tokenHash } : {}),
      });
    }
    return { "WWW-Authenticate": 'Bearer realm="scim"' };
  }
  if (at.tokenHash !== undefined && at.directory !== undefined) {
    await ctx.runMutation(internal.scim.requestLog.recordFailure, {
      directory: at.directory.slice(0, 64),
      tokenHash: at.tokenHash,
      ...request,
      status: e.status,
      ...(e.scimType ? { scimType: e.scimType } : {}),
    });
  }
  return e.status === 405 ? { Allow: SCIM_METHODS.join(", ") } : {};
}

export const scimHttp = httpAction(async (ctx, req) => {
  const attempt: Attempt = { receivedAt: Date.now() };
  try {
    const url = new URL(req.url);
    const rest = url.pathname.slice(SCIM_PREFIX.length);
    const segments = rest.split("/").filter((s) => s !== "").map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new ScimError(404, undefined, "no such SCIM endpoint");
      }
    });
    const [directory, ...path] = segments;
    if (!directory) throw new ScimError(404, undefined, "no such SCIM endpoint");
    // OPTIONS (and any method SCIM does not define) before authentication: it reveals nothing either way.
    const method = req.method.toUpperCase();
    if (!SCIM_METHODS.includes(method as (typeof SCIM_METHODS)[number])) {
      throw new ScimError(405, undefined, `${method.slice(0, 20)} is not a SCIM method (RFC 7644 §3.2)`);
    }
    // authenticate (an address with too many failed authentications gets 429 until its bucket refills, unless
    // its request carries a live token of the directory: limits.checkScimAuth)
    const address = clientAddressKey(req.headers);
    Object.assign(attempt, { address, directory, method, segments: path, hasQuery: url.search.length > 1 });
    const token = bearer(req);
    const tokenHash = token ? await sha256b64url(token) : undefined;
    attempt.tokenHash = tokenHash;
    const limit = await ctx.runQuery(internal.limits.checkScimAuth, { address, directory, ...(tokenHash ? { tokenHash } : {}) });
    if (!limit.ok) throw new ScimError(429, undefined, `too many failed authentications; retry after ${limit.retryAfterSec} s`);
    if (!tokenHash) throw new ScimError(401, undefined, "missing, invalid, expired or revoked bearer token for this directory");
    // parse
    let body: string | undefined;
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      if (!acceptableContentType(req)) throw new ScimError(415, undefined, "Content-Type must be application/scim+json or application/json");
      body = await readBody(req);
    }
    const ifMatch = req.headers.get("if-match") ?? undefined;
    const ifNoneMatch = req.headers.get("if-none-match") ?? undefined;
    // one mutation
    const r = await ctx.runMutation(internal.scim.api.handle, {
      directory,
      tokenHash,
      method,
      segments: path,
      query: url.search,
      ...(body !== undefined ? { body } : {}),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
      receivedAt: attempt.receivedAt,
    });
    // render
    const headers: Record<string, string> = {};
    if (r.body !== undefined) headers["Content-Type"] = CONTENT_TYPE;
    if (r.etag) headers.ETag = r.etag;
    if (r.location) headers.Location = r.location;
    return new Response(r.status === 204 || r.status === 304 ? null : r.body ?? null, { status: r.status, headers });
  } catch (e) {
    if (e instanceof ScimError) return errorResponse(e, await failureHeaders(ctx, e, attempt));
    if (e instanceof ConvexError) {
      const d = e.data as { kind?: string; status?: number; scimType?: string | null; detail?: string };
      if (d?.kind === "ScimError" && typeof d.status === "number") {
        const se = new ScimError(d.status, (d.scimType ?? undefined) as ScimError["scimType"], d.detail ?? "error");
        return errorResponse(se, await failureHeaders(ctx, se, attempt));
      }
    }
    // Unknown failure: a generic SCIM error, the cause stays in the log (never echoed).
    console.error("scim: unexpected failure", e);
    const internalError = new ScimError(500, undefined, "internal error");
    return errorResponse(internalError, await failureHeaders(ctx, internalError, attempt).catch(() => ({})));
  }
});

/**
 * Register the SCIM routes (one call from convex/http.ts). OPTIONS is routed too, to answer a SCIM 405; Convex's
 * router cannot route methods outside GET/POST/PUT/PATCH/DELETE/OPTIONS, so those get the platform's own 404.
 */
export function registerScimRoutes(http: HttpRouter): void {
  for (const method of [...SCIM_METHODS, "OPTIONS"] as const) {
    http.route({ pathPrefix: SCIM_PREFIX, method, handler: scimHttp });
  }
}
