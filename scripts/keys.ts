// `npm run keys`: prints the environment lines a deployment needs — a fresh RS256 signing JWKS and a
// secret-sealing key. Rotation: prepend a new key with `--rotate '<current JWKS JSON>'`; the old one stays
// published in the JWKS until you drop it.
import { generatePrivateJwks } from "../src/session/tokens";
import { randomToken } from "../src/session/encoding";

const rotateIdx = process.argv.indexOf("--rotate");
const fresh = await generatePrivateJwks();
const keys = rotateIdx > 0 ? [...fresh.keys, ...JSON.parse(process.argv[rotateIdx + 1]!).keys] : fresh.keys;
const jwks = JSON.stringify({ keys });
if (process.argv.includes("--json")) {
  console.log(jwks);
} else {
  console.log(`GATEWAY_SIGNING_KEYS='${jwks}'`);
  console.log(`GATEWAY_ENCRYPTION_KEY=${randomToken(32)}`);
  console.log("\n# Set them on your deployment:");
  console.log(`#   npx convex env set GATEWAY_SIGNING_KEYS '<the JSON above>'`);
  console.log(`#   npx convex env set GATEWAY_ENCRYPTION_KEY <the key above>`);
}
