import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileSha256 } from '../train/cache.ts';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run('npx', ['tsx', 'train/cli.ts', ...args], { maxBuffer: 16 << 20 });

// One short epoch keeps these end-to-end builds cheap; determinism does not depend on the length.
describe('the build CLI (real data, real training)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-build-'));

  it('produces byte-identical assets from two clean builds, then reuses the cached one', async () => {
    const first = await cli('--epochs', '1', '--out', join(dir, 'a', 'model.bin'));
    const second = await cli('--epochs', '1', '--out', join(dir, 'b', 'model.bin'));
    expect(first.stdout).toMatch(/epoch 1\/1 +loss [\d.]+ +acc [\d.]+% +val_acc [\d.]+% .*ETA/);
    expect(first.stdout).toMatch(/tfjs wasm backend/);
    expect(fileSha256(join(dir, 'a', 'model.bin'))).toBe(fileSha256(join(dir, 'b', 'model.bin')));
    expect(second.stdout).toContain(`sha256 ${fileSha256(join(dir, 'a', 'model.bin'))}`);

    const cached = await cli('--epochs', '1', '--out', join(dir, 'a', 'model.bin'));
    expect(cached.stdout).toMatch(/up to date.*not retraining/);
    const changed = await cli('--epochs', '1', '--seed', '7', '--out', join(dir, 'a', 'model.bin'));
    expect(changed.stdout).toMatch(/Training fashion-mnist/);
    expect(fileSha256(join(dir, 'a', 'model.bin'))).not.toBe(
      fileSha256(join(dir, 'b', 'model.bin')),
    );
  }, 300_000);

  it('stops with a message naming the data directory when the data is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fmnist-empty-'));
    const failure = await cli('--data', empty, '--out', join(dir, 'c', 'model.bin')).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(empty);
    expect(failure?.stderr).toMatch(/dataset-fashion-mnist|--data/);
  });

  it('rejects a bad flag with a usage message', async () => {
    const failure = await cli('--epochs', 'many').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--epochs must be a positive integer, got "many"');
  });

  it.each([
    [
      ['--validation-size', '60000'],
      '--validation-size must be from 1 to 59,936 (the 60,000 training images less one batch of 64), got 60000',
    ],
    [
      ['--arch', 'cnn', '--validation-size', '59900'],
      '--validation-size must be from 1 to 59,872 (the 60,000 training images less one batch of 128), got 59900',
    ],
    [
      ['--batch-size', '60000'],
      '--batch-size must be from 1 to 59,999 (the 60,000 training images less at least one for validation), got 60000',
    ],
    [
      ['--seed', '4294967296'],
      '--seed must be from 1 to 4,294,967,295 (the random generator keeps 32 bits), got 4294967296',
    ],
  ])('refuses %j with the allowed range before reading the data', async (args, message) => {
    const out = join(dir, 'refused', 'model.bin');
    const failure = await cli(...args, '--out', out).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain(`error: ${message}\nRun with --help for usage.`);
    expect(failure?.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it("prints help with the defaults the parser uses, and the presets' own", async () => {
    const { stdout } = await cli('--help');
    expect(stdout).toMatch(/--epochs N +training epochs \(default 20; cnn: 26\)/);
    expect(stdout).toMatch(/--batch-size N +mini-batch size \(default 64; cnn: 128\)/);
    expect(stdout).toMatch(
      /--out PATH +asset path \(default models\/fashion-mnist-mlp.bin; cnn: models\/fashion-mnist-cnn.bin\)/,
    );
  });
});
