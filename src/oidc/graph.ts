// Entra ID groups overage: when a person is in more groups than fit in the ID token, Entra sends
// `_claim_names.groups` (or `hasgroups`) instead of `groups`. The groups are then read from Microsoft Graph
// with the login's access token — never from the endpoint named in the token's `_claim_sources` (a URL an
// attacker-influenced token must not choose), and paging (`@odata.nextLink`) never leaves the configured base.
// Pure: fetch (already SSRF-guarded by the adapter) is injected.
import { OidcError } from "./errors";
import type { FetchLike } from "./fetch";

export const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com";
/** Graph returns at most 999 objects a page; 20 pages is 19,980 groups — past that, fail closed. */
export const MAX_GRAPH_PAGES = 20;

const fail = (detail: string) => new OidcError("groups_overage_unresolved", detail);

/** The object ids of every group the signed-in person belongs to (transitively), as Entra's groups claim has them. */
export async function fetchEntraGroupIds(opts: {
  graphBaseUrl?: string | undefined;
  accessToken: string | undefined;
  fetch: FetchLike;
  maxPages?: number;
}): Promise<string[]> {
  if (!opts.accessToken) throw fail("the token response has no access_token to read the groups from Graph with");
  const base = (opts.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, "");
  let next: string | undefined = `${base}/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`;
  const ids: string[] = [];
  for (let page = 0; next !== undefined; page++) {
    if (page >= (opts.maxPages ?? MAX_GRAPH_PAGES)) throw fail(`more than ${opts.maxPages ?? MAX_GRAPH_PAGES} pages of groups`);
    if (!next.startsWith(`${base}/`)) throw fail("@odata.nextLink leaves the configured Graph base URL");
    let res: Response;
    try {
      res = await opts.fetch(next, { method: "GET", headers: { authorization: `Bearer ${opts.accessToken}`, accept: "application/json" } });
    } catch (e) {
      throw fail(`Graph could not be read (${e instanceof OidcError ? e.code : "network error"})`);
    }
    if (res.status !== 200) throw fail(`Graph answered HTTP ${res.status}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw fail("Graph's answer is not JSON");
    }
    const value = (body as { value?: unknown } | null)?.value;
    if (!Array.isArray(value)) throw fail('Graph\'s answer has no "value" array');
    for (const item of value) {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id === "string" && id !== "") ids.push(id);
    }
    const link = (body as Record<string, unknown>)["@odata.nextLink"];
    next = typeof link === "string" ? link : undefined;
  }
  return [...new Set(ids)];
}
