// The built pages of an app served by the local gateway (`--app <dir> --app-port 5173`): files of <dir>/dist on
// their own origin, unknown paths answered with index.html (a single-page app's routes, e.g. /callback).
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

export async function serveAppPages(dir: string, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(dir, "index.html"))) throw new Error(`${dir}/index.html is missing: build the app first (npm run build:example)`);
  const root = normalize(dir + sep);
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://app.invalid").pathname);
    } catch {
      return void res.writeHead(400, { "content-type": "text/plain" }).end("bad path");
    }
    const file = normalize(join(root, path));
    const found = file.startsWith(root) && existsSync(file) && statSync(file).isFile() ? file : join(root, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(found)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(found));
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok());
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
