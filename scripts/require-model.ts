/**
 * The first part of wrangler.toml's [build] step: the Worker imports models/bundled.js, which only
 * `npm run build:model` writes, so without it esbuild fails with a bare `Could not resolve`. This
 * stops the build first with the step to take instead. Paths are relative to the working
 * directory, which wrangler sets to wrangler.toml's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../train/manifest.ts';

const manifest = join('models', MANIFEST_FILE);
if (!existsSync(manifest)) {
  console.error(
    `${manifest} is missing: run \`npm run build:model\` first (it trains the model the Worker serves)`,
  );
  process.exit(1);
}
