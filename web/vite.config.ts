import { defineConfig } from "vite";

// The production build is plain static files (web/dist): any static host, or the sandbox's
// app server, serves them next to a config.json written by scripts/web-config.
export default defineConfig({
  base: "./",
  build: { target: "es2022", sourcemap: false },
  server: { host: "localhost", port: 5173 },
});
