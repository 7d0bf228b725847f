// A local-gateway config for SAML tests: the demo config, with the demo SAML entry added when it is absent,
// and the SAML plug-in registered (idempotent), so the tests do not depend on how the lead wires the demo.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localPlugins } from "../../local/plugins";
import { DEMO_SAML_ENTRY, samlLocalPlugin } from "../../local/samlPlugin";

export function samlLocalGatewayOptions(prefix: string) {
  if (!localPlugins.includes(samlLocalPlugin)) localPlugins.push(samlLocalPlugin);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = JSON.parse(readFileSync(new URL("../../local/demo.config.json", import.meta.url), "utf8"));
  config.saml ??= [DEMO_SAML_ENTRY];
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  return { port: 0, dataDir: join(dir, "data"), configPath, quiet: true };
}
