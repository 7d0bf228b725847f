// Signing keys, imported once per isolate (not per request) and re-imported only when the env changes.
import { importSigningKeys, type SigningKeys } from "../../session/tokens";

let cache: { raw: string; keys: Promise<SigningKeys> } | undefined;

export function signingKeys(): Promise<SigningKeys> {
  const raw = process.env.GATEWAY_SIGNING_KEYS;
  if (!raw) throw new Error("GATEWAY_SIGNING_KEYS is not set (`npm run keys` prints it)");
  if (cache?.raw !== raw) {
    const keys = importSigningKeys(raw);
    keys.catch(() => (cache = undefined));
    cache = { raw, keys };
  }
  return cache.keys;
}
