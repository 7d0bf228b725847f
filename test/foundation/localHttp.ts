// Over real HTTP against a running local gateway: the browser's dev sign-in and the token exchange.
import { expect } from "vitest";
import { pkceS256, randomToken } from "../../src/session/encoding";

/** What a browser does: demo app (or `app`) → dev sign-in form → redirect with a code → token exchange. */
export async function devSignInOverHttp(base: string, email = "grace@demo.example", role = "admin", app?: { clientId: string; redirectUri: string }) {
  const verifier = randomToken(32);
  const clientId = app?.clientId ?? "demo-app";
  const redirectUri = app?.redirectUri ?? `${base}/demo/callback`;
  const page = await fetch(`${base}/_dev/signin?client_id=${encodeURIComponent(clientId)}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1&code_challenge=${await pkceS256(verifier)}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const challenge = /name="code_challenge" value="([^"]+)"/.exec(html)![1]!;
  const post = await fetch(`${base}/_dev/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, state: "s1", code_challenge: challenge, email, name: "Grace Hopper", group: "demo", role }),
  });
  expect(post.status).toBe(302);
  const location = new URL(post.headers.get("location")!);
  expect(location.origin + location.pathname).toBe(redirectUri);
  expect(location.searchParams.get("state")).toBe("s1");
  const token = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code: location.searchParams.get("code")!, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  expect(token.status).toBe(200);
  return token.json() as Promise<{ access_token: string; refresh_token: string; expires_in: number }>;
}

