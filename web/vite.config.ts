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
    // No separate vendor chunk: it would survive deploys in the browser's cache, but on a
    // first visit it is one more request before anything can run, and Lighthouse's mobile
    // run measured the jobs page's paint later with it. Pages are chunks (src/routes.ts).
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
