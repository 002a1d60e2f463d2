import { defineConfig } from 'vitest/config';

// `npm run check:cnn`: acceptance checks of a built model asset that `npm test` does not build
// (the CNN takes several minutes to train). Same environment as vitest.config.ts.
export default defineConfig({
  test: {
    include: ['test/check/**/*.check.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
