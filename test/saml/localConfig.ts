// A local-gateway config for SAML tests, and a browser's SAML login against it over real HTTP: the demo config, with the demo SAML entry added when it is absent,
// and the SAML plug-in registered (idempotent), so the tests do not depend on how the lead wires the demo.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localPlugins } from "../../local/plugins";
import { DEMO_SAML_ENTRY, samlLocalPlugin } from "../../local/samlPlugin";
import { decodeJwt } from "jose";
import type { LocalGateway } from "../../local/gateway";
import { pkceS256, randomToken } from "../../src/session/encoding";

export function samlLocalGatewayOptions(prefix: string) {
  if (!localPlugins.includes(samlLocalPlugin)) localPlugins.push(samlLocalPlugin);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  config.saml ??= [DEMO_SAML_ENTRY];
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  return { port: 0, dataDir: join(dir, "data"), configPath, quiet: true };
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
const field = (html: string, re: RegExp) => unescapeHtml(re.exec(html)![1]!);

/**
 * A browser's SAML login over real HTTP against a local gateway: the demo app's /sso/authorize for the demo
 * button `buttonLabel` → that test IdP's login form → its signed Response auto-posted to the ACS. Returns the
 * ACS answer (not followed) and what the app needs to exchange the code.
 */
export async function samlLoginOverHttp(
  gw: LocalGateway,
  buttonLabel: string,
  person: { email: string; name?: string; groups: string[] },
) {
  const button = gw.buttons.find((b) => b.label === buttonLabel);
  if (!button?.authorizeQuery?.connection) throw new Error(`no demo button "${buttonLabel}"`);
  const verifier = randomToken(32);
  const redirectUri = `${gw.url}/demo/callback`;
  const q = new URLSearchParams({
    client_id: "demo-app",
    redirect_uri: redirectUri,
    state: "s-saml",
    code_challenge: await pkceS256(verifier),
    code_challenge_method: "S256",
    ...button.authorizeQuery,
  });
  const toIdp = await fetch(`${gw.url}/sso/authorize?${q}`, { redirect: "manual" });
  if (toIdp.status !== 302) throw new Error(`/sso/authorize answered ${toIdp.status}`);
  const idpUrl = new URL(toIdp.headers.get("location")!);
  const formPage = await (await fetch(idpUrl)).text();
  const loginForm = new URLSearchParams({
    SAMLRequest: field(formPage, /name="SAMLRequest" value="([^"]*)"/),
    RelayState: field(formPage, /name="RelayState" value="([^"]*)"/),
    email: person.email,
    name: person.name ?? "Grace Hopper",
  });
  for (const g of person.groups) loginForm.append("groups", g);
  const loginAt = `${idpUrl.origin}${idpUrl.pathname.replace(/\/sso$/, "/login")}`;
  const autoPost = await (await fetch(loginAt, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: loginForm })).text();
  const acs = field(autoPost, /<form method="post" action="([^"]+)"/);
  const back = await fetch(acs, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: field(autoPost, /name="SAMLResponse" value="([^"]*)"/),
      RelayState: field(autoPost, /name="RelayState" value="([^"]*)"/),
    }),
  });
  return { back, verifier, redirectUri, idpUrl, formPage, acs };
}

/** The app's side after a successful ACS: exchange the code at /oauth/token; the access token's claims. */
export async function exchangeForClaims(gw: LocalGateway, login: { back: Response; verifier: string; redirectUri: string }) {
  const code = new URL(login.back.headers.get("location")!).searchParams.get("code")!;
  const token = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: "demo-app", code, redirect_uri: login.redirectUri, code_verifier: login.verifier }),
  });
  if (token.status !== 200) throw new Error(`/oauth/token answered ${token.status}`);
  return decodeJwt(((await token.json()) as { access_token: string }).access_token);
}
