// SCIM HTTP action: authenticate (hash the bearer token) → parse the request line → ONE internal mutation
// (convex/scim/api.ts: verifies the token, validates, writes) → render application/scim+json.
// The router has no path parameters: routes are registered with pathPrefix "/scim/v2/".
import { ConvexError } from "convex/values";
import type { HttpRouter } from "convex/server";
import { internal } from "../_generated/api";
import { httpAction } from "../lib/functions";
import { ScimError, renderError } from "../../scim/errors";
import { LIMITS } from "../../scim/schemas";
import { BodyTooLargeError, readBodyCapped } from "../../shared/body";
import { sha256b64url } from "./store";

export const SCIM_PREFIX = "/scim/v2/";
const CONTENT_TYPE = "application/scim+json; charset=utf-8";

function errorResponse(e: ScimError, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(renderError(e)), { status: e.status, headers: { "Content-Type": CONTENT_TYPE, ...extra } });
}

/** Bearer credentials (RFC 6750 §2.1); the scheme is case-insensitive. */
function bearer(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  const m = h ? /^\s*bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(h) : null;
  return m?.[1];
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

export const scimHttp = httpAction(async (ctx, req) => {
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
    // authenticate
    const token = bearer(req);
    if (!token) throw new ScimError(401, undefined, "missing, invalid, expired or revoked bearer token for this directory");
    const tokenHash = await sha256b64url(token);
    // parse
    const method = req.method.toUpperCase();
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
    });
    // render
    const headers: Record<string, string> = {};
    if (r.body !== undefined) headers["Content-Type"] = CONTENT_TYPE;
    if (r.etag) headers.ETag = r.etag;
    if (r.location) headers.Location = r.location;
    return new Response(r.status === 204 || r.status === 304 ? null : r.body ?? null, { status: r.status, headers });
  } catch (e) {
    if (e instanceof ScimError) return errorResponse(e, e.status === 401 ? { "WWW-Authenticate": 'Bearer realm="scim"' } : {});
    if (e instanceof ConvexError) {
      const d = e.data as { kind?: string; status?: number; scimType?: string | null; detail?: string };
      if (d?.kind === "ScimError" && typeof d.status === "number") {
        const se = new ScimError(d.status, (d.scimType ?? undefined) as ScimError["scimType"], d.detail ?? "error");
        return errorResponse(se, se.status === 401 ? { "WWW-Authenticate": 'Bearer realm="scim"' } : {});
      }
    }
    // Unknown failure: a generic SCIM error, the cause stays in the log (never echoed).
    console.error("scim: unexpected failure", e);
    return errorResponse(new ScimError(500, undefined, "internal error"));
  }
});

/** Register the SCIM routes (one call from convex/http.ts). */
export function registerScimRoutes(http: HttpRouter): void {
  for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
    http.route({ pathPrefix: SCIM_PREFIX, method, handler: scimHttp });
  }
}
