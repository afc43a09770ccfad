import { defineConfig } from "vite";

// `npm run dev` proxies the API to a running `onemap serve` (ONEMAP_URL, default :8080);
// `npm run build` writes dist/, which `onemap serve --web web-map/dist` serves at `/`.
const api = process.env.ONEMAP_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "./",
  build: { outDir: "dist", chunkSizeWarningLimit: 2000, sourcemap: false },
  server: {
    proxy: Object.fromEntries(
      ["/api", "/tiles", "/collections", "/health", "/ready", "/style.json"].map((p) => [p, api]),
    ),
  },
});
