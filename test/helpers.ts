// Shared test helpers: a convex-test instance over convex/, seeding, PKCE, and a whole-database snapshot
// for asserting that bad input wrote nothing.
import { convexTest } from "convex-test";
import schema from "../src/component/schema";
import { internal } from "../src/component/_generated/api";
import type { Id } from "../src/component/_generated/dataModel";
import { completeSignIn, type SignInProfile } from "../src/component/signin";
import { insertAuthRequest } from "../src/component/sso/authorize";
import { pkceS256, randomToken } from "../src/session/encoding";
import { asComponent, register, type GatewayTest } from "../src/test";

/** The standalone app (convex/: routes and the "use node" SAML actions); the gateway is its component. */
export const modules = import.meta.glob("../convex/**/*.ts");

/** The app with the gateway component registered; `run`/`query`/`mutation`/`action` act inside the component. */
export function newGateway(opts: { transactionLimits?: boolean } = {}): GatewayTest {
  const app = convexTest({ modules, transactionLimits: opts.transactionLimits ?? false });
  register(app);
  return asComponent(app);
}
export type TestGateway = GatewayTest;

export const APP = { clientId: "demo-app", redirectUri: "https://app.example.test/callback", origin: "https://app.example.test" };

export async function seedGroupAndApp(t: TestGateway, slug = "acme") {
  const { groupIds } = await t.mutation(internal.admin.seed.apply, {
    groups: [{ slug, name: "Acme Corp", domains: [`${slug}.example`], policy: { defaultRole: "member" } }],
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
      profile: { subject: "u-1", email: "Ada@Acme.example", name: "Ada Lovelace", ...profile },
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

const TABLES = Object.keys(schema.tables) as Array<keyof typeof schema.tables>;

/** Every document of every table, for before/after equality. */
export async function snapshot(t: TestGateway): Promise<Record<string, unknown[]>> {
  return t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES) out[table] = await ctx.db.query(table as any).collect();
    return out;
  });
}
