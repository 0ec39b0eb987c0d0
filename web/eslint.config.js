// ESLint for the dashboard (`npm run lint`, run by `make test` through `make web-lint`):
// the recommended JavaScript and typescript-eslint rules plus React's rules of hooks,
// including the React Compiler checks of eslint-plugin-react-hooks 7.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  // Build output, test reports, and the types generated from docs/openapi.json.
  globalIgnores(['dist/', 'test-results/', 'playwright-report/', 'screenshots/', 'src/api/schema.d.ts']),
  {
    files: ['**/*.{js,mjs,ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
  },
  {
    // Run by Node: build and test configuration, Playwright's set-up, scripts.
    files: ['*.{js,ts}', 'e2e/**/*.ts', 'scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
]);
