/**
 * The first step of wrangler.toml's [build]: without a built model, `wrangler dev` and `wrangler
 * deploy` stop with the command to run, instead of esbuild's bare `Could not resolve`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../project-root.ts';

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'require-model.ts');
/** tsx's loader by path: `--import tsx` would resolve from the working directory. */
const TSX = pathToFileURL(join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Runs the script as wrangler does, with `cwd` as the directory of wrangler.toml. */
const run = (cwd: string) =>
  spawnSync(process.execPath, ['--import', TSX, SCRIPT], { cwd, encoding: 'utf8' });

describe('scripts/require-model.ts', () => {
  it('names the missing manifest and the command that builds it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-model-'));
    try {
      const result = run(empty);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/models\/\S+ is missing: run `npm run build:model` first/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('lets the build go on once the model is built', () => {
    const result = run(PROJECT_ROOT);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
