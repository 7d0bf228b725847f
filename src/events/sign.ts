// Standard Webhooks signatures (https://www.standardwebhooks.com, spec §"Signature scheme"): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}` with the endpoint's `whsec_` secret, sent as
// `webhook-signature: v1,<base64>`. The `standardwebhooks` library does the HMAC; it is pure JavaScript
// (@stablelib/base64, fast-sha256), so it bundles for Convex's default runtime (npm run check:runtime).
import { Webhook } from "standardwebhooks";

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
/** 24 random bytes, as the Standard Webhooks reference libraries mint them (at least 16 bytes is required here). */
const SECRET_BYTES = 24;

export class WebhookSecretError extends Error {
  override name = "WebhookSecretError";
}

/** Refuse a secret that is not `whsec_` + base64 of at least 16 bytes. */
export function checkWebhookSecret(secret: string): string {
  if (!SECRET.test(secret)) throw new WebhookSecretError("webhook secret must be `whsec_` followed by base64");
  const bytes = Math.floor(((secret.length - 6) * 3) / 4) - (secret.endsWith("==") ? 2 : secret.endsWith("=") ? 1 : 0);
  if (bytes < 16) throw new WebhookSecretError("webhook secret must encode at least 16 bytes");
  return secret;
}

export function generateWebhookSecret(randomBytes: (n: number) => Uint8Array): string {
  const bytes = randomBytes(SECRET_BYTES);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `whsec_${btoa(bin)}`;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Headers for one attempt. The id stays the same across retries (receivers dedupe by it); the timestamp does not. */
export function signWebhook(secret: string, msgId: string, now: Date, body: string): SignedHeaders {
  const signature = new Webhook(secret).sign(msgId, now, body);
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": signature,
  };
}
