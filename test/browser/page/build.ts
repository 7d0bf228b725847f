// Bundles the test page (test/browser/page/main.ts + src/browser) with esbuild, in memory.
import { build } from "esbuild";
import type { StaticServer } from "../staticServer";

export async function serveTestPage(site: StaticServer, config: { issuer: string; clientId: string; redirectUri: string }) {
  const out = await build({
    entryPoints: [new URL("./main.ts", import.meta.url).pathname],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  const cfg = JSON.stringify(config).replace(/</g, "\\u003c");
  site.files.set("/app.js", { body: out.outputFiles[0]!.contents, type: "text/javascript" });
  site.files.set("/index.html", {
    type: "text/html; charset=utf-8",
    body: `<!doctype html><meta charset="utf-8"><title>client test</title>
<p>Status: <b id="status"></b> · role <b id="role"></b> · <span id="email"></span> · error <b id="error"></b></p>
<script>window.SSO_CONFIG = ${cfg};</script><script type="module" src="/app.js"></script>`,
  });
}
