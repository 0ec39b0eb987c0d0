/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

// `npm run dev` proxies the API and the WebSocket to a running `make dev` stack.
const stack = process.env.JOBMON_STACK_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    host: '127.0.0.1',
    proxy: {
      '/v1': stack,
      '/ws': { target: stack, ws: true },
    },
  },
  build: {
    // Recharts is loaded lazily (analytics only); the main bundle must stay small.
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // React, the router and the query cache change with a dependency update, not with
            // every change to the dashboard: their own chunk stays cached across deploys.
            // (Each page is its own chunk already: src/routes.ts.)
            { name: 'vendor', test: /[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|@tanstack[\\/][^\\/]+)[\\/]/ },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // user-event types one key at a time through React; on a 2-core CI box that is also
    // building and testing the Rust workspace, a test that types a form takes several seconds,
    // and Vitest's 5 s default failed such tests that pass alone. The bound is for a stuck test.
    testTimeout: 20000,
  },
});
