import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Inside this repository the example builds from the sources, offline. In your own app, install the
    // package and drop these aliases: its exports map resolves convex-sso-gateway/client and /react.
    alias: {
      "convex-sso-gateway/client": src("browser/index.ts"),
      "convex-sso-gateway/react": src("react/index.ts"),
    },
  },
  // The local gateway (npm start) registers http://127.0.0.1:5173/callback for the example-react-app client.
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  preview: { host: "127.0.0.1", port: 5173, strictPort: true },
});
