// Foundation rows: minting through our code vs bare jose, and /oauth/token code exchanges over real HTTP.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, importJWK } from "jose";
import { makeFunctionReference } from "convex/server";
import { startLocalGateway } from "../local/gateway";
import {
  importSigningKeys,
  mintSessionJwt,
  type SessionClaims,
} from "../src/session/tokens";
import { generatePrivateJwks } from "../src/session/tokens";
import { pkceS256, randomToken } from "../src/session/encoding";
import { compare, fmt, type Row } from "./harness";

const CLAIMS: SessionClaims = {
  sub: "10001users",
  sid: "10002sessions",
  azp: "demo-app",
  group_id: "10000groups",
  group: "acme",
  role: "admin",
  roles: ["admin"],
  auth_method: "saml",
  connection_id: "10003connections",
  email: "ada@acme.example",
  email_verified: true,
  name: "Ada Lovelace",
};

export async function benchMint(): Promise<Row[]> {
  const jwks = await generatePrivateJwks();
  const keys = await importSigningKeys(JSON.stringify(jwks));
  const bareKey = await importJWK({ ...jwks.keys[0]!, alg: "RS256" }, "RS256");
  const now = Date.now();
  const opts = {
    issuer: "https://gw.example",
    audience: "convex",
    now,
    durationMs: 3_600_000,
  };
  const { sub, ...rest } = CLAIMS;
  const r = await compare(
    () => mintSessionJwt(keys, CLAIMS, opts),
    () =>
      new SignJWT(rest as Record<string, unknown>)
        .setProtectedHeader({ alg: "RS256", kid: keys.kid, typ: "JWT" })
        .setIssuer(opts.issuer)
        .setSubject(sub)
        .setAudience(opts.audience)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(now / 1000) + 3600)
        .sign(bareKey),
    { iterations: 150, rounds: 7 },
  );
  return [
    {
      benchmark: "session JWT mint (RS256)",
      ours: `${fmt(r.subject.opsPerSec)} /s`,
      baseline: `${fmt(r.baseline.opsPerSec)} /s (bare jose SignJWT, cached key)`,
      ratio: `${r.ratio.toFixed(3)}×`,
      goal: "≤ 1.1×",
    },
  ];
}

export async function benchTokenEndpoint(): Promise<Row[]> {
  const gw = await startLocalGateway({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), "gw-bench-")),
    quiet: true,
  });
  try {
    const redirectUri = `${gw.url}/demo/callback`;
    const N = 100;
    let codes: Array<{ code: string; verifier: string }> = [];
    let next = 0;
    let user = 0;
    // Codes live 60 s, so each round gets fresh ones (untimed).
    const mintCodes = async () => {
      codes = [];
      next = 0;
      for (let i = 0; i < N; i++) {
        const n = user++;
        const verifier = randomToken(32);
        const { redirectTo } = await gw.engine.mutation(
          makeFunctionReference<"mutation">("localDev:signIn"),
          {
            clientId: "demo-app",
            redirectUri,
            codeChallenge: await pkceS256(verifier),
            groupSlug: "demo",
            email: `user${n}@demo.example`,
            roles: ["member"],
          },
        );
        codes.push({
          code: new URL(redirectTo).searchParams.get("code")!,
          verifier,
        });
      }
    };
    const exchange = async () => {
      const c = codes[next++]!;
      const res = await fetch(`${gw.url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: "demo-app",
          code: c.code,
          redirect_uri: redirectUri,
          code_verifier: c.verifier,
        }),
      });
      if (res.status !== 200)
        throw new Error(`exchange failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const discovery = async () =>
      (await fetch(`${gw.url}/.well-known/openid-configuration`)).arrayBuffer();
    const r = await compare(exchange, discovery, {
      iterations: N,
      rounds: 5,
      warmup: 0,
      beforeRound: mintCodes,
    });
    return [
      {
        benchmark: "/oauth/token code exchange, local gateway, real HTTP",
        ours: `${fmt(r.subject.opsPerSec)} /s (${fmt(r.subject.msPerOp)} ms)`,
        baseline: `${fmt(r.baseline.opsPerSec)} /s (GET openid-configuration, same server)`,
        ratio: `${r.ratio.toFixed(2)}×`,
        goal: "—",
      },
    ];
  } finally {
    await gw.close();
  }
}
