// What a browser does between /sso/authorize and the app's redirect URI, over plain HTTP, with the local
// gateway's built-in SAML IdP: follow the redirect to the IdP's login form, submit it, post the signed
// Response to the ACS, and return the URL the gateway sends the browser back to.
const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, "&");
const field = (html: string, name: string) => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in the page`);
  return unescape(m[1]!);
};

export async function samlSignInOverHttp(authorizeUrl: string, user: { email: string; groups: string[] }): Promise<string> {
  const toIdp = await fetch(authorizeUrl, { redirect: "manual" });
  const idpUrl = toIdp.headers.get("location");
  if (toIdp.status !== 302 || !idpUrl) throw new Error(`authorize answered ${toIdp.status}`);
  if (!/\/_idp\/saml\/sso\?/.test(idpUrl)) return idpUrl; // an error redirect straight back to the app
  const formPage = await (await fetch(idpUrl)).text();
  const login = new URLSearchParams({ SAMLRequest: field(formPage, "SAMLRequest"), RelayState: field(formPage, "RelayState"), email: user.email, name: "Test User" });
  for (const g of user.groups) login.append("groups", g);
  const base = new URL(idpUrl).origin;
  const autoPost = await (await fetch(`${base}/_idp/saml/login`, { method: "POST", body: login })).text();
  const acs = unescape(/<form method="post" action="([^"]+)"/.exec(autoPost)![1]!);
  const back = await fetch(acs, {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams({ SAMLResponse: field(autoPost, "SAMLResponse"), RelayState: field(autoPost, "RelayState") }),
  });
  const location = back.headers.get("location");
  if (back.status !== 302 || !location) throw new Error(`ACS answered ${back.status}`);
  return location;
}
