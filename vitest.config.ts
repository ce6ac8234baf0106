import { defineConfig } from 'vitest/config';

// Guest runs take seconds on a loaded 2-core machine; the tests assert behaviour, never time.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
