// TXT lookup over DNS-over-HTTPS, JSON API (application/dns-json, as served by Cloudflare and Google).
// Convex has fetch and no DNS API; the resolver URL is configuration, the fetch is injected.

export class DohError extends Error {
  constructor(readonly code: "resolver_failed" | "resolver_timeout" | "bad_answer", message: string) {
    super(message);
  }
}

const TXT = 16;

/** The TXT strings published at `name` (each record's character-strings joined, RFC 7208 §3.3 style). */
export async function lookupTxt(name: string, opts: { resolverUrl: string; fetch: typeof fetch; timeoutMs?: number }): Promise<string[]> {
  const url = new URL(opts.resolverUrl);
  url.searchParams.set("name", name);
  url.searchParams.set("type", "TXT");
  let res: Response;
  try {
    res = await opts.fetch(url, {
      headers: { accept: "application/dns-json" },
      redirect: "error",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
  } catch (e) {
    const timeout = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new DohError(timeout ? "resolver_timeout" : "resolver_failed", timeout ? "the DNS resolver did not answer in time" : "the DNS resolver could not be reached");
  }
  if (!res.ok) throw new DohError("resolver_failed", `the DNS resolver answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > 65_536) throw new DohError("bad_answer", "the DNS answer is too large");
  let body: { Status?: unknown; Answer?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new DohError("bad_answer", "the DNS answer is not JSON");
  }
  if (body.Status === 3) return []; // NXDOMAIN
  if (body.Status !== 0) throw new DohError("resolver_failed", `the DNS resolver answered status ${String(body.Status)}`);
  const answers = Array.isArray(body.Answer) ? body.Answer : [];
  return answers
    .filter((a): a is { type: number; data: string } => typeof a === "object" && a !== null && a.type === TXT && typeof a.data === "string")
    .map((a) => unquote(a.data));
}

/** `"part one" "part two"` → `part onepart two`; an unquoted value is returned as is. */
function unquote(data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1"));
  return parts.length ? parts.join("") : data;
}

/** Where the portal asks for the record, and what it must say. */
export function verificationRecord(domain: string, token: string): { name: string; value: string } {
  return { name: `_convex-sso-challenge.${domain}`, value: `convex-sso-verification=${token}` };
}

const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** Lower-cased domain, or an error sentence naming the field. */
export function normalizeDomain(input: string): { domain: string } | { error: string } {
  const d = input.trim().toLowerCase().replace(/^@/, "").replace(/\.$/, "");
  if (!DOMAIN.test(d)) return { error: "Domain must be a DNS name such as example.com (letters, digits, hyphens and dots)." };
  return { domain: d };
}
