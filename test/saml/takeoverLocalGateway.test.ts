// Account takeover through a second IdP, tried over real HTTP against the local gateway (`npm start`):
// a person signs in with the demo group's trusted SAML IdP (admin), then a second SAML connection of the same
// group that does not vouch for email addresses (trustEmailVerified: false) asserts the same address. It must
// not land on her account: the login is refused and traced as account_link_refused (issue 9, item 1).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { localPlugins } from "../../local/plugins";
import { DEMO_SAML_ENTRY, samlLocalPlugin } from "../../local/samlPlugin";
import { pkceS256, randomToken } from "../../src/session/encoding";

let gw: LocalGateway;
beforeAll(async () => {
  if (!localPlugins.includes(samlLocalPlugin)) localPlugins.push(samlLocalPlugin);
  const dir = mkdtempSync(join(tmpdir(), "gw-takeover-"));
  const config = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  config.saml = [
    DEMO_SAML_ENTRY,
    {
      group: "demo",
      name: "Loose IdP",
      groups: ["admins"],
      config: { mapping: { preset: "custom", email: ["email"], name: ["name"], groups: ["groups"], trustEmailVerified: false } },
    },
  ];
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  gw = await startLocalGateway({ port: 0, dataDir: join(dir, "data"), configPath, quiet: true });
}, 60_000);
afterAll(async () => gw?.close());

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

/** /sso/authorize → the chosen test IdP's form → its signed Response posted to the ACS; returns the ACS answer. */
async function samlAttempt(buttonLabel: string, person: { email: string; groups: string[] }) {
  const button = gw.buttons.find((b) => b.label === buttonLabel);
  expect(button?.authorizeQuery?.connection, buttonLabel).toBeTruthy();
  const verifier = randomToken(32);
  const redirectUri = `${gw.url}/demo/callback`;
  const q = new URLSearchParams({
    client_id: "demo-app",
    redirect_uri: redirectUri,
    state: "s",
    code_challenge: await pkceS256(verifier),
    code_challenge_method: "S256",
    ...button!.authorizeQuery,
  });
  const toIdp = await fetch(`${gw.url}/sso/authorize?${q}`, { redirect: "manual" });
  expect(toIdp.status).toBe(302);
  const idpUrl = new URL(toIdp.headers.get("location")!);
  const formPage = await (await fetch(idpUrl)).text();
  const loginForm = new URLSearchParams({
    SAMLRequest: unescape(/name="SAMLRequest" value="([^"]*)"/.exec(formPage)![1]!),
    RelayState: unescape(/name="RelayState" value="([^"]*)"/.exec(formPage)![1]!),
    email: person.email,
    name: "Someone",
  });
  for (const g of person.groups) loginForm.append("groups", g);
  const loginAt = `${idpUrl.origin}${idpUrl.pathname.replace(/\/sso$/, "/login")}`;
  const autoPost = await (await fetch(loginAt, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: loginForm })).text();
  const acs = unescape(/<form method="post" action="([^"]+)"/.exec(autoPost)![1]!);
  const back = await fetch(acs, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: unescape(/name="SAMLResponse" value="([^"]*)"/.exec(autoPost)![1]!),
      RelayState: unescape(/name="RelayState" value="([^"]*)"/.exec(autoPost)![1]!),
    }),
  });
  return { back, verifier, redirectUri };
}

async function tokenClaims(a: Awaited<ReturnType<typeof samlAttempt>>) {
  expect(a.back.status).toBe(302);
  const code = new URL(a.back.headers.get("location")!).searchParams.get("code")!;
  const token = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: "demo-app", code, redirect_uri: a.redirectUri, code_verifier: a.verifier }),
  });
  expect(token.status).toBe(200);
  return decodeJwt(((await token.json()) as { access_token: string }).access_token);
}

describe("local gateway: no takeover through a second IdP", () => {
  it("an IdP that does not verify email asserting a member's address is refused (account_link_refused)", async () => {
    const victim = await tokenClaims(await samlAttempt("Sign in with SAML", { email: "grace@demo.example", groups: ["admins"] }));
    expect(victim).toMatchObject({ role: "admin", email_verified: true, azp: "demo-app" });

    const attack = await samlAttempt("Sign in with SAML (Loose IdP)", { email: "grace@demo.example", groups: [] });
    expect(attack.back.status).toBe(400);
    const page = await attack.back.text();
    expect(page).not.toContain("code=");
    const traces = await gw.engine.run(async (ctx) => ctx.db.query("ssoTraces").collect());
    expect(traces.map((t) => t.code)).toContain("account_link_refused");
  });

  it("the loose IdP still signs in a new person, with email_verified false", async () => {
    const claims = await tokenClaims(await samlAttempt("Sign in with SAML (Loose IdP)", { email: "newcomer@demo.example", groups: [] }));
    expect(claims).toMatchObject({ email: "newcomer@demo.example", email_verified: false, role: "member" });
  });
});
