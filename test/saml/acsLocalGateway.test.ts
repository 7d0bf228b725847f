// The SAML login over real HTTP against the local gateway (`npm start`), as a browser would do it:
// demo app's /sso/authorize → test IdP login form (HTTP-Redirect AuthnRequest) → form post → auto-POST of the
// signed Response to the ACS → the app's callback with a code → /oauth/token → JWT with group and role.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { samlLocalGatewayOptions } from "./localConfig";
import { pkceS256, randomToken } from "../../src/session/encoding";

let gw: LocalGateway;
beforeAll(async () => {
  gw = await startLocalGateway(samlLocalGatewayOptions("gw-saml-"));
});
afterAll(async () => gw?.close());

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

async function samlLogin(opts: { email: string; groups: string[] }) {
  const button = gw.buttons.find((b) => b.label === "Sign in with SAML");
  expect(button?.authorizeQuery?.connection).toBeTruthy();
  const verifier = randomToken(32);
  const redirectUri = `${gw.url}/demo/callback`;
  const q = new URLSearchParams({
    client_id: "demo-app",
    redirect_uri: redirectUri,
    state: "s-saml",
    code_challenge: await pkceS256(verifier),
    code_challenge_method: "S256",
    ...button!.authorizeQuery,
  });
  const toIdp = await fetch(`${gw.url}/sso/authorize?${q}`, { redirect: "manual" });
  expect(toIdp.status).toBe(302);
  const idpUrl = toIdp.headers.get("location")!;
  expect(idpUrl.startsWith(`${gw.url}/_idp/saml/sso?SAMLRequest=`)).toBe(true);

  const formPage = await (await fetch(idpUrl)).text();
  expect(formPage).toContain('name="groups"');
  const loginForm = new URLSearchParams({
    SAMLRequest: unescape(/name="SAMLRequest" value="([^"]*)"/.exec(formPage)![1]!),
    RelayState: unescape(/name="RelayState" value="([^"]*)"/.exec(formPage)![1]!),
    email: opts.email,
    name: "Grace Hopper",
  });
  for (const g of opts.groups) loginForm.append("groups", g);
  const autoPost = await (await fetch(`${gw.url}/_idp/saml/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: loginForm })).text();
  const acs = unescape(/<form method="post" action="([^"]+)"/.exec(autoPost)![1]!);
  expect(acs).toMatch(new RegExp(`^${gw.url}/sso/saml/[^/]+/acs$`));
  const back = await fetch(acs, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: unescape(/name="SAMLResponse" value="([^"]*)"/.exec(autoPost)![1]!),
      RelayState: unescape(/name="RelayState" value="([^"]*)"/.exec(autoPost)![1]!),
    }),
  });
  expect(back.status).toBe(302);
  const cb = new URL(back.headers.get("location")!);
  expect(cb.origin + cb.pathname).toBe(redirectUri);
  expect(cb.searchParams.get("state")).toBe("s-saml");
  const token = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: "demo-app", code: cb.searchParams.get("code")!, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  expect(token.status).toBe(200);
  return decodeJwt((await token.json()).access_token);
}

describe("local gateway: SAML over real HTTP", () => {
  it("admins group → admin role; the JWT names the group and the SAML connection", async () => {
    const claims = await samlLogin({ email: "grace@demo.example", groups: ["admins"] });
    expect(claims).toMatchObject({ email: "grace@demo.example", name: "Grace Hopper", group: "demo", role: "admin", auth_method: "saml", email_verified: true });
  });
  it("no group ticked → the demo group's default role", async () => {
    const claims = await samlLogin({ email: "alan@demo.example", groups: [] });
    expect(claims).toMatchObject({ email: "alan@demo.example", role: "member" });
  });
  it("the test IdP's metadata and our SP metadata are served", async () => {
    const idpMd = await fetch(`${gw.url}/_idp/saml/metadata`);
    expect(await idpMd.text()).toContain("IDPSSODescriptor");
    const id = gw.buttons.find((b) => b.label === "Sign in with SAML")!.authorizeQuery!.connection!;
    const spMd = await (await fetch(`${gw.url}/sso/saml/${id}/metadata`)).text();
    expect(spMd).toContain(`${gw.url}/sso/saml/${id}/acs`);
    expect(spMd).toContain("SingleLogoutService");
  });
});
