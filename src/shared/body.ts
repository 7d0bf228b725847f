// Reading a body or stream with a byte cap, on Web APIs only (Request, Response, ReadableStream), so the same
// code serves HTTP actions in Convex's default runtime, outbound fetches and in-memory streams (inflate).
// Callers map BodyTooLargeError to their own protocol error (OAuth invalid_request, SCIM 413, OidcError
// fetch_refused, SAML codes); any other error (a failing read) propagates unchanged.
import { concatBytes } from "./bytes";

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`body exceeds ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * True when a declared Content-Length is larger than the cap. An absent or unparsable header declares
 * nothing (the streamed count still applies), so a lying or missing Content-Length never lets a body through.
 */
export function declaresTooLarge(headers: Headers, maxBytes: number): boolean {
  return Number(headers.get("content-length") ?? "0") > maxBytes;
}

/** Read a stream to the end; cancels the reader and throws BodyTooLargeError as soon as the count passes the cap. */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/**
 * Read a Request's or Response's body under a cap: the declared Content-Length is checked first, then the
 * streamed count. Returns null when there is no body at all; throws BodyTooLargeError when over the cap.
 */
export async function readBodyCapped(message: Request | Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (declaresTooLarge(message.headers, maxBytes)) throw new BodyTooLargeError(maxBytes);
  if (!message.body) return null;
  return readStreamCapped(message.body, maxBytes);
}
