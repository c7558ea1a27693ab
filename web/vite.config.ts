/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The API serves the built app (dist/) at /. `make web-dev` runs this dev server instead, with the
// API's routes proxied to the API at API_URL (default http://localhost:8080).
const api = process.env.API_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    // No inline script or style anywhere: the API's Content-Security-Policy allows neither.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    // The unit tests read the contract (../api/openapi.yaml) as the app's types are made from it.
    fs: { allow: ['.', '../api'] },
    proxy: {
      '/v1/ws': { target: api, ws: true, changeOrigin: false },
      '/v1': { target: api, changeOrigin: false },
      '/openapi.yaml': { target: api },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
