// A tiny static server on 127.0.0.1 (random port) for the browser tests' app pages: its origin is what the
// test registers as the app's redirect URI origin in the local gateway. Unknown paths fall back to index.html
// (single-page app), like a production static host configured for an SPA.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StaticFile {
  body: string | Uint8Array;
  type: string;
}

export interface StaticServer {
  url: string;
  /** Set or replace what a path serves (e.g. after the page is built for the gateway's URL). */
  files: Map<string, StaticFile>;
  close(): Promise<void>;
}

export async function startStaticServer(): Promise<StaticServer> {
  const files = new Map<string, StaticFile>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const file = files.get(path) ?? (path.includes(".") ? undefined : files.get("/index.html"));
    if (!file) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    files,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
