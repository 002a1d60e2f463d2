/**
 * The convnet's training kernels give the same bits whatever OPENBLAS_CORETYPE the caller's
 * environment holds: the loader (train/native/addon.ts) pins OpenBLAS' Haswell kernels before the
 * library loads. They also give the same bits on any number of threads (OMP_NUM_THREADS): blas.cc
 * splits the work only where that leaves each value's arithmetic unchanged. Each case is a child
 * process (OpenBLAS picks its kernels once, as it loads) that runs the kernels at the CNN's own
 * sizes (test/blas-pin/probe.ts). The control loads the same addon
 * without the pin and shows that the kernel choice does change the bits, so the first test can fail.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeKernels } from '../train/native/addon.ts';

const run = promisify(execFile);

/**
 * The outputs' SHA-256 with OpenBLAS 0.3.21's Haswell kernels (Debian bookworm's libopenblas0),
 * measured on an AMD EPYC; any other AVX2 machine must print the same. The kernels as they were
 * before they used several threads (single-threaded, commit 0b52543) print it too.
 */
const HASWELL_OUTPUTS = '85c36556c058c4ec06e43356b94456917779195a46252642e70fc4841541b259';

interface Probe {
  core: string;
  sha256: string;
  /** OPENBLAS_CORETYPE as the child's own code sees it after loading the kernels. */
  coreTypeAfter: string | null;
}

/** Runs the probe in a child whose OpenBLAS and OpenMP variables are exactly `blas` (the others removed). */
async function probe(blas: Record<string, string>, unpinnedAddon?: string): Promise<Probe> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('OPENBLAS_') && !name.startsWith('OMP_'),
    ),
  );
  const { stdout } = await run(
    'npx',
    ['tsx', 'test/blas-pin/probe.ts', ...(unpinnedAddon ? [unpinnedAddon] : [])],
    { env: { ...env, ...blas } },
  );
  return JSON.parse(stdout) as Probe;
}

let addonPath: string;

beforeAll(() => {
  // Builds the addon if needed; its path is whatever the loader mapped into this process.
  nativeKernels();
  const mapped = /\S*kernels-[0-9a-f]+\.node$/m.exec(readFileSync('/proc/self/maps', 'utf8'));
  if (!mapped) throw new Error('the training kernels are not mapped into this process');
  addonPath = mapped[0];
}, 120_000);

describe('OpenBLAS kernel pinning for convnet training', () => {
  it('gives the same bits under any OPENBLAS_CORETYPE, block factor or thread count: the Haswell kernels', async () => {
    const settings: Record<string, string>[] = [
      {},
      { OPENBLAS_CORETYPE: 'SkylakeX', OMP_NUM_THREADS: '1' },
      { OPENBLAS_CORETYPE: 'Sandybridge', OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '2' },
      { OPENBLAS_CORETYPE: 'Zen', OPENBLAS_BLOCK_FACTOR: '3', OMP_NUM_THREADS: '3' },
    ];
    const runs = await Promise.all(settings.map((blas) => probe(blas)));
    runs.forEach((outputs, i) => {
      // The caller's own value is back in place once the library has loaded.
      const coreTypeAfter = settings[i]?.OPENBLAS_CORETYPE ?? null;
      expect(outputs).toEqual({ core: 'Haswell', sha256: HASWELL_OUTPUTS, coreTypeAfter });
    });
  }, 120_000);

  it('without the pin, the kernel set OpenBLAS loads changes the bits (what the pin prevents)', async () => {
    const [haswell, sandybridge] = await Promise.all([
      probe({ OPENBLAS_CORETYPE: 'Haswell' }, addonPath),
      probe({ OPENBLAS_CORETYPE: 'Sandybridge' }, addonPath),
    ]);
    expect(haswell).toMatchObject({ core: 'Haswell', sha256: HASWELL_OUTPUTS });
    expect(sandybridge.core).toBe('Sandybridge');
    expect(sandybridge.sha256).not.toBe(HASWELL_OUTPUTS);
  }, 120_000);
});
