// Shared test helpers: a convex-test instance over convex/, seeding, PKCE, and a whole-database snapshot
// for asserting that bad input wrote nothing.
import { convexTest } from "convex-test";
import schema from "../src/component/schema";
import { internal } from "../src/component/_generated/api";
import type { Id } from "../src/component/_generated/dataModel";
import { completeSignIn, type SignInProfile } from "../src/component/signin";
import { insertAuthRequest } from "../src/component/sso/authorize";
import { pkceS256, randomToken } from "../src/session/encoding";
import { expect } from "vitest";
import { isSignInFailureTrace } from "../src/events/catalogue";
import { asComponent, componentModules, register, type GatewayTest } from "../src/test";

/** The standalone app (convex/: routes and the "use node" SAML actions); the gateway is its component. */
export const modules = import.meta.glob("../convex/**/*.ts");

/** The app with the gateway component registered; `run`/`query`/`mutation`/`action` act inside the component. */
export function newGateway(opts: { transactionLimits?: boolean; componentModules?: Record<string, () => Promise<unknown>> } = {}): GatewayTest {
  const app = convexTest({ modules, transactionLimits: opts.transactionLimits ?? false });
  // Extra test-only modules mount inside the component (keys like "./component/testSubscriber.ts").
  register(app, "ssoGateway", opts.componentModules ? { ...componentModules(), ...opts.componentModules } : undefined);
  return asComponent(app);
}
export type TestGateway = GatewayTest;

export const APP = { clientId: "demo-app", redirectUri: "https://app.example.test/callback", origin: "https://app.example.test" };

export async function seedGroupAndApp(t: TestGateway, slug = "acme") {
  const { groupIds } = await t.mutation(internal.admin.seed.apply, {
    groups: [{ slug, name: "Acme Corp", domains: [`${slug}.example`], verifiedDomains: [`${slug}.example`], policy: { defaultRole: "member" } }],
    apps: [{ clientId: APP.clientId, name: "Demo", redirectUris: [APP.redirectUri] }],
  });
  return groupIds[slug]!;
}

export async function pkcePair() {
  const verifier = randomToken(32);
  return { verifier, challenge: await pkceS256(verifier) };
}

/** Signs a person in the way a protocol adapter would (complete-sign-in), returning the app's code. */
export async function signIn(
  t: TestGateway,
  groupId: Id<"groups">,
  profile: Partial<SignInProfile> = {},
  roles = ["admin"],
) {
  const { verifier, challenge } = await pkcePair();
  const result = await t.run(async (ctx) => {
    const app = (await ctx.db.query("apps").withIndex("by_clientId", (q) => q.eq("clientId", APP.clientId)).unique())!;
    const authRequestId = await insertAuthRequest(ctx, { appId: app._id, redirectUri: APP.redirectUri, state: "st-1", codeChallenge: challenge, groupId });
    return completeSignIn(ctx, {
      authRequestId,
      authMethod: "dev",
      profile: { subject: "u-1", email: "Ada@Acme.example", emailVerified: true, name: "Ada Lovelace", ...profile },
      roles,
    });
  });
  const url = new URL(result.redirectTo);
  return { code: url.searchParams.get("code")!, state: url.searchParams.get("state"), verifier, ...result };
}

export function form(params: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
  };
}

export async function exchange(t: TestGateway, code: string, verifier: string, extra: Record<string, string> = {}) {
  return t.fetch(
    "/oauth/token",
    form({ grant_type: "authorization_code", client_id: APP.clientId, code, redirect_uri: APP.redirectUri, code_verifier: verifier, ...extra }),
  );
}

export async function refresh(t: TestGateway, refreshToken: string) {
  return t.fetch("/oauth/token", form({ grant_type: "refresh_token", client_id: APP.clientId, refresh_token: refreshToken }));
}

// rateLimits is the limiter's own bounded state (one bucket per address / target, swept): every request spends
// a token, so "wrote nothing" means nothing outside it.
const TABLES = (Object.keys(schema.tables) as Array<keyof typeof schema.tables>).filter((t) => t !== "rateLimits");

/** Every document of every table but the rate-limit buckets, for before/after equality. */
export async function snapshot(t: TestGateway): Promise<Record<string, unknown[]>> {
  return t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES) out[table] = await ctx.db.query(table as any).collect();
    return out;
  });
}

/**
 * A refused request writes exactly one trace and, when the trace is a SAML / OIDC sign-in failure, the
 * `signin.failed` event that names it (docs/events.md; the event advances the cursor counter). Asserts that,
 * and that nothing else changed. Returns the trace.
 */
export function expectOnlyTraceWritten(before: Record<string, unknown[]>, after: Record<string, unknown[]>) {
  type Trace = { ref: string; code: string; protocol: string };
  const traces = after.ssoTraces!.slice(before.ssoTraces!.length) as Trace[];
  expect(traces, "one new trace").toHaveLength(1);
  const trace = traces[0]!;
  expect(after.ssoTraces!.slice(0, before.ssoTraces!.length)).toEqual(before.ssoTraces);
  const newEvents = after.events!.slice(before.events!.length);
  expect(after.events!.slice(0, before.events!.length), "events").toEqual(before.events);
  if (isSignInFailureTrace(trace.protocol, trace.code)) {
    expect(newEvents, "the trace's signin.failed event").toEqual([
      expect.objectContaining({ type: "signin.failed", data: expect.objectContaining({ code: trace.code, traceRef: trace.ref, protocol: trace.protocol }) }),
    ]);
  } else expect(newEvents, "events").toEqual([]);
  const counter = (s: Record<string, unknown[]>) => (s.eventCounters as Array<{ name: string; value: number }>).find((c) => c.name === "events")?.value ?? 0;
  expect(counter(after)).toBe(counter(before) + newEvents.length);
  for (const [table, rows] of Object.entries(after)) {
    if (table === "ssoTraces" || table === "events" || table === "eventCounters") continue;
    expect(rows, table).toEqual(before[table]);
  }
  return trace;
}
