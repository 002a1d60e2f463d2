import { defineConfig } from 'vitest/config';

// Tests run in Node; Worker tests start the real bundle in workerd through Miniflare.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
