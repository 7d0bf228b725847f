// Full SP-initiated SAML logins per second through convex/http.ts on the convex-test engine (what `npm start`
// runs): /sso/authorize → AuthnRequest (HTTP-Redirect) → samlify IdP signs a Response in-process → POST /acs
// (node-saml validation + our checks + the one finishing mutation) → code. Baseline, same run, interleaved:
// the same authorize + complete-sign-in through the local dev sign-in (no SAML at all), so the ratio is what
// SAML adds on top of the foundation's login.
import { DOMParser } from "@xmldom/xmldom";
import { makeFunctionReference } from "convex/server";
import { createEngine } from "../local/engine";
import { createTestSamlIdp } from "../local/samlIdp";
import { decodeRedirect } from "../src/saml/redirectBinding";
import { generatePrivateJwks } from "../src/session/tokens";
import { pkceS256, randomToken } from "../src/session/encoding";
import { compare, fmt, type Row } from "./harness";

const SITE = "https://gw.bench.test";
const REDIRECT = "https://app.bench.test/callback";

export async function benchSamlLogin(): Promise<Row[]> {
  process.env.CONVEX_SITE_URL = SITE;
  process.env.GATEWAY_LOCAL = "1"; // the baseline is the local gateway's dev sign-in
  process.env.GATEWAY_ENCRYPTION_KEY ??= "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU";
  process.env.GATEWAY_SIGNING_KEYS ??= JSON.stringify(await generatePrivateJwks());
  const t = await createEngine();
  const { groupIds } = (await t.mutation(makeFunctionReference<"mutation">("admin/seed:apply"), {
    groups: [{ slug: "bench", name: "Bench", policy: { defaultRole: "member" } }],
    apps: [{ clientId: "bench-app", name: "Bench", redirectUris: [REDIRECT] }],
  })) as { groupIds: Record<string, string> };
  const idp = createTestSamlIdp({ baseUrl: "https://idp.bench.test/saml" });
  const connectionId = (await t.action(makeFunctionReference<"action">("saml/admin:createConnection"), {
    groupId: groupIds.bench,
    name: "Bench IdP",
    idpMetadataXml: idp.metadataXml,
    config: { mapping: { preset: "custom", email: ["email"], groups: ["groups"] } },
    roleRules: [{ value: "admins", role: "admin" }],
  })) as string;

  let n = 0;
  let signMs = 0;
  let signed = 0;
  const samlLogin = async () => {
    const challenge = await pkceS256(randomToken(32));
    const q = new URLSearchParams({ client_id: "bench-app", redirect_uri: REDIRECT, state: "s", code_challenge: challenge, code_challenge_method: "S256", connection: connectionId });
    const start = await t.fetch(`/sso/authorize?${q}`, { redirect: "manual" });
    const d = await decodeRedirect(new URL(start.headers.get("location")!).search);
    const root = new DOMParser().parseFromString(d.xml, "text/xml").documentElement!;
    const t0 = performance.now();
    const samlResponse = await idp.respond({
      acsUrl: root.getAttribute("AssertionConsumerServiceURL")!,
      spEntityId: `${SITE}/sso/saml/${connectionId}/metadata`,
      inResponseTo: root.getAttribute("ID")!,
      user: { email: `user${n++ % 50}@bench.example`, groups: ["admins"] },
    });
    signMs += performance.now() - t0;
    signed++;
    const res = await t.fetch(`/sso/saml/${connectionId}/acs`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: d.relayState! }).toString(),
    });
    if (res.status !== 302 || !res.headers.get("location")!.includes("code=")) throw new Error(`SAML login failed: ${res.status}`);
  };
  const devLogin = async () => {
    const { redirectTo } = (await t.mutation(makeFunctionReference<"mutation">("localDev:signIn"), {
      clientId: "bench-app",
      redirectUri: REDIRECT,
      state: "s",
      codeChallenge: await pkceS256(randomToken(32)),
      groupSlug: "bench",
      email: `user${n++ % 50}@bench.example`,
      roles: [],
    })) as { redirectTo: string };
    if (!redirectTo.includes("code=")) throw new Error("dev login failed");
  };

  const r = await compare(samlLogin, devLogin, { iterations: 15, rounds: 5, warmup: 5 });
  const signPerOp = signMs / signed;
  return [
    {
      benchmark: "SP-initiated SAML login via convex/http.ts (authorize → IdP → ACS → code)",
      ours: `${fmt(r.subject.opsPerSec)} /s (${fmt(r.subject.msPerOp)} ms)`,
      baseline: `${fmt(r.baseline.opsPerSec)} /s (${fmt(r.baseline.msPerOp)} ms; dev sign-in: complete-sign-in, no SAML)`,
      ratio: `${fmt(r.ratio)}×`,
    },
    {
      benchmark: "  of which the test IdP signing the Response (samlify, in-process)",
      ours: `${fmt(signPerOp)} ms/op`,
      baseline: "",
      ratio: `${fmt(signPerOp / r.subject.msPerOp * 100, 0)} % of a login`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchSamlLogin();
  console.table(rows);
  process.exit(0);
}
