import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { session } from '../api/session';

// `make test` runs these beside the Rust build and tests, and a 2-core CI box shares its
// cores between them: a render that takes 50 ms alone can take over a second there. 5 s gives
// `findBy…` and `waitFor` that room instead of failing at the library's 1 s default; a test
// whose condition never comes true still fails, only later.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  session.clear();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
