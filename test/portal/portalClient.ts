// A portal visitor for convex-test: redeem a setup link, then GET pages and POST forms with the session cookie
// and the CSRF token, under the portal's root ("/portal", or "/auth/portal" when the routes have a pathPrefix).
import { expect } from "vitest";

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

export interface PortalClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>, opts?: { csrf?: string | null }): Promise<Response>;
  /** multipart/form-data, as the browser sends the upload forms; `files` become file parts. */
  postMultipart(path: string, fields: Record<string, string>, files?: Record<string, { name: string; text: string }>): Promise<Response>;
}

export async function openPortal(fetch: Fetch, token: string, root = "/portal"): Promise<PortalClient> {
  const res = await fetch(`${root}/link`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token }).toString() });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(`${root}/`);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const home = await (await fetch(`${root}/`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(home)![1]!;
  return {
    cookie,
    csrf,
    get: (path) => fetch(path, { headers: { cookie }, redirect: "manual" }),
    post: (path, fields, opts = {}) => {
      const body = new URLSearchParams(fields);
      if (opts.csrf !== null) body.set("csrf", opts.csrf ?? csrf);
      return fetch(path, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: body.toString(), redirect: "manual" });
    },
    postMultipart: async (path, fields, files = {}) => {
      const data = new FormData();
      data.set("csrf", csrf);
      for (const [k, v] of Object.entries(fields)) data.set(k, v);
      for (const [k, f] of Object.entries(files)) data.set(k, new Blob([f.text], { type: "application/x-pem-file" }), f.name);
      // Serialise through a Request so the body and its boundary are fixed before convex-test reads them.
      const req = new Request("http://portal.invalid/", { method: "POST", body: data });
      return fetch(path, { method: "POST", headers: { cookie, "content-type": req.headers.get("content-type")! }, body: await req.text(), redirect: "manual" });
    },
  };
}
