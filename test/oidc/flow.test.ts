// OIDC sign-in against a real OP (node-oidc-provider in-process on 127.0.0.1), driven through convex/http.ts.
import { afterEach, describe, expect, it } from "vitest";
import { APP, exchange } from "../helpers";
import { authorize, callback, counts, loginAtOp, setupWithOp, type OpHarness } from "./harness";

let h: OpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("happy path", () => {
  for (const method of ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const) {
    it(`signs in with ${method}, JIT user + membership with roles from rules`, async () => {
      h = await setupWithOp({ method, roleRules: [{ value: "Admins", role: "admin" }] });
      const authUrl = await authorize(h, { login_hint: "ada@acme.example" });
      expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
      expect(authUrl.searchParams.get("login_hint")).toBe("ada@acme.example");
      const cb = await loginAtOp(authUrl, { email: "ada@acme.example", name: "Ada", groups: ["Admins", "Sales"] });
      expect(cb.searchParams.get("iss")).toBe(h.issuer); // RFC 9207 from the OP
      const res = await callback(h, cb);
      expect(res.status, await res.clone().text()).toBe(302);
      const to = new URL(res.headers.get("location")!);
      expect(`${to.origin}${to.pathname}`).toBe(APP.redirectUri);
      expect(to.searchParams.get("state")).toBe("app-state-1");
      const c = await counts(h.t);
      expect(c).toMatchObject({ users: 1, identities: 1, memberships: 1, sessions: 1, authCodes: 1, usedStates: 1, traces: 0 });
      const m = await h.t.run(async (ctx) => ctx.db.query("memberships").first());
      expect(m).toMatchObject({ roles: ["admin"], source: "jit" });
      const u = await h.t.run(async (ctx) => ctx.db.query("users").first());
      expect(u).toMatchObject({ email: "ada@acme.example", name: "Ada", emailVerified: true });
    });
  }
});
