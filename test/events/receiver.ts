// A webhook receiver on 127.0.0.1 for tests: verifies every request with the Standard Webhooks library,
// fails the first `failFirst` attempts with 503, and processes each webhook-id once (dedupe), recording the
// order in which events were processed.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedEvent {
  id: string;
  type: string;
  cursor: string;
  group: string | null;
  data: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  /** Events processed once each, in processing order. */
  processed: ReceivedEvent[];
  attempts: number;
  duplicates: number;
  badSignatures: number;
  failFirst: number;
  /** Resolves when `n` distinct events have been processed. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string, opts: { failFirst?: number } = {}): Promise<Receiver> {
  const wh = new Webhook(secret);
  const seen = new Set<string>();
  const waiters: Array<{ n: number; ok: () => void }> = [];
  const r: Receiver = {
    url: "",
    processed: [],
    attempts: 0,
    duplicates: 0,
    badSignatures: 0,
    failFirst: opts.failFirst ?? 0,
    waitFor(n, timeoutMs = 20_000) {
      if (r.processed.length >= n) return Promise.resolve();
      return new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error(`receiver: ${r.processed.length}/${n} events after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, ok: () => (clearTimeout(t), ok()) });
      });
    },
    close: () => new Promise((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    r.attempts++;
    let event: ReceivedEvent;
    try {
      event = wh.verify(body, req.headers as Record<string, string>) as ReceivedEvent;
    } catch {
      r.badSignatures++;
      return void res.writeHead(400).end("bad signature");
    }
    if (r.attempts <= r.failFirst) return void res.writeHead(503).end("try later");
    const id = String(req.headers["webhook-id"]);
    if (seen.has(id)) r.duplicates++;
    else {
      seen.add(id);
      r.processed.push(event);
      for (const w of waiters.filter((w) => r.processed.length >= w.n)) w.ok();
    }
    res.writeHead(204).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return r;
}

/** The receiver's check of per-group order: within each group, cursors strictly increase. */
export function inOrderPerGroup(events: ReceivedEvent[]): boolean {
  const last = new Map<string, number>();
  for (const e of events) {
    const g = e.group ?? "-";
    if ((last.get(g) ?? 0) >= Number(e.cursor)) return false;
    last.set(g, Number(e.cursor));
  }
  return true;
}
