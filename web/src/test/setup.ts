import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { session } from '../api/session';

// CI and this machine are 2-core boxes that often build Rust beside the tests: give `findBy…`
// and `waitFor` room for a slow render rather than failing at the library's 1 s default.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  session.clear();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
