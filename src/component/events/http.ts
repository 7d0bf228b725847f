// GET /events?after=<cursor>&limit=<n>[&group=<id>] with `Authorization: Bearer <api key>`:
// authenticate (hash the key) → parse → one query → JSON. Errors are JSON {error, error_description}.
import type { HttpRouter } from "convex/server";
import { internal } from "../_generated/api";
import { httpAction } from "../lib/functions";
import { parseCursor } from "../../events/catalogue";
import { bearerToken, json } from "../lib/http";
import { sha256b64url } from "../lib/crypto";
import { MAX_PAGE } from "./pull";

const DEFAULT_PAGE = 100;
const noStore = { "cache-control": "no-store" };

function error(status: number, code: string, description: string, headers: Record<string, string> = {}) {
  return json({ error: code, error_description: description }, status, { ...noStore, ...headers });
}

export const pullEvents = httpAction(async (ctx, req) => {
  const key = bearerToken(req);
  // RFC 6750 §3: a missing or bad token is 401 with a WWW-Authenticate challenge.
  const challenge = { "www-authenticate": 'Bearer realm="events", error="invalid_token"' };
  if (!key) return error(401, "invalid_token", "an API key is required (Authorization: Bearer <key>)", challenge);
  const url = new URL(req.url);
  const after = parseCursor(url.searchParams.get("after"));
  if (after === null) return error(400, "invalid_request", '"after" must be a cursor returned by this API (a decimal integer)');
  const rawLimit = url.searchParams.get("limit");
  const limit = rawLimit === null ? DEFAULT_PAGE : /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE)) return error(400, "invalid_request", `"limit" must be an integer from 1 to ${MAX_PAGE}`);
  const group = url.searchParams.get("group") ?? undefined;
  const result = await ctx.runQuery(internal.events.pull.page, { keyHash: await sha256b64url(key), after, limit, groupId: group });
  if (!result.authorized) return error(401, "invalid_token", "the API key is unknown or revoked", challenge);
  return json({ data: result.events, next_cursor: result.nextCursor, has_more: result.hasMore }, 200, noStore);
});

export function registerEventRoutes(http: HttpRouter) {
  http.route({ path: "/events", method: "GET", handler: pullEvents });
}
