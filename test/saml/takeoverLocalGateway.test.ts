// Account takeover through a second IdP, tried over real HTTP against the local gateway (`npm start`):
// a person signs in with the demo group's trusted SAML IdP (admin), then a second SAML connection of the same
// group that does not vouch for email addresses (trustEmailVerified: false) asserts the same address. It must
// not land on her account: the login is refused and traced as account_link_refused (issue 9, item 1).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";
import { localPlugins } from "../../local/plugins";
import { DEMO_SAML_ENTRY, samlLocalPlugin } from "../../local/samlPlugin";
import { exchangeForClaims, samlLoginOverHttp } from "./localConfig";

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

const samlAttempt = (buttonLabel: string, person: { email: string; groups: string[] }) => samlLoginOverHttp(gw, buttonLabel, person);

async function tokenClaims(a: Awaited<ReturnType<typeof samlAttempt>>) {
  expect(a.back.status).toBe(302);
  return exchangeForClaims(gw, a);
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
