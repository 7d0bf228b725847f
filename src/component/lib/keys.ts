// Signing keys, imported once per isolate (not per request) and re-imported only when the env's keys change. They
// come with the env the app passes (GATEWAY_SIGNING_KEYS, read app-side by src/gateway/env.ts).
import { importSigningKeys, type SigningKeys } from "../../session/tokens";
import { currentEnv } from "./env";

let cache: { raw: string; keys: Promise<SigningKeys> } | undefined;

export function signingKeys(): Promise<SigningKeys> {
  const raw = currentEnv().signingKeys;
  if (!raw) throw new Error("GATEWAY_SIGNING_KEYS is not set (`npm run keys` prints it)");
  if (cache?.raw !== raw) {
    const keys = importSigningKeys(raw);
    keys.catch(() => (cache = undefined));
    cache = { raw, keys };
  }
  return cache.keys;
}
