// `npm run bench`: every table compares with a baseline measured in the same run.
import { existsSync } from "node:fs";
import { benchMint, benchTokenEndpoint } from "./foundation";
import { printTable, type Row } from "./harness";

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

console.log(`# Benchmarks — node ${process.version}, ${new Date().toISOString()}`);
console.log("Ratios compare with a baseline measured in the same run, interleaved, median of rounds.");

if (want("foundation")) {
  printTable("Issuer", [...(await benchMint()), ...(await benchTokenEndpoint())]);
}

// Protocol benches register themselves as bench/<name>.ts exporting one async function returning rows.
const protocolBenches: Array<[name: string, file: string, fn: string, title: string]> = [
  ["saml", "./saml.ts", "benchSaml", "SAML ACS validation"],
  ["samlLogin", "./samlLogin.ts", "benchSamlLogin", "SAML SP-initiated login"],
  ["oidc", "./oidc.ts", "benchOidc", "OIDC callback"],
  ["scim", "./scim.ts", "benchScim", "SCIM"],
  ["events", "./events.ts", "benchEvents", "Events"],
];
for (const [name, file, fn, title] of protocolBenches) {
  if (!want(name) || !existsSync(new URL(file, import.meta.url))) continue;
  const mod = (await import(file)) as Record<string, () => Promise<Row[]>>;
  printTable(title, await mod[fn]!());
}
process.exit(0);
