// The SAML login over real HTTP against the local gateway (`npm start`), as a browser would do it:
// demo app's /sso/authorize → test IdP login form (HTTP-Redirect AuthnRequest) → form post → auto-POST of the
// signed Response to the ACS → the app's callback with a code → /oauth/token → JWT with group and role.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { exchangeForClaims, samlLocalGatewayOptions, samlLoginOverHttp } from "./localConfig";

let gw: LocalGateway;
beforeAll(async () => {
  gw = await startLocalGateway(samlLocalGatewayOptions("gw-saml-"));
});
afterAll(async () => gw?.close());

async function samlLogin(opts: { email: string; groups: string[] }) {
  const login = await samlLoginOverHttp(gw, "Sign in with SAML", opts);
  expect(login.idpUrl.href.startsWith(`${gw.url}/_idp/saml/sso?SAMLRequest=`)).toBe(true);
  expect(login.formPage).toContain('name="groups"');
  expect(login.acs).toMatch(new RegExp(`^${gw.url}/sso/saml/[^/]+/acs$`));
  expect(login.back.status).toBe(302);
  const cb = new URL(login.back.headers.get("location")!);
  expect(cb.origin + cb.pathname).toBe(login.redirectUri);
  expect(cb.searchParams.get("state")).toBe("s-saml");
  return exchangeForClaims(gw, login);
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
