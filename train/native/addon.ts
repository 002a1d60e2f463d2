/**
 * Builds (once per source version) and loads the native training routines of blas.cc and
 * batch-norm.cc: a Node-API addon linked against OpenBLAS. It is compiled here with g++ rather
 * than at `npm install` because only convnet training needs it; the seed MLP and the Worker never
 * load it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../project-root.ts';

/** The addon's functions; arrays are views of the tfjs wasm heap, outputs are written in place. */
export interface NativeKernels {
  convForward(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
    out: Float32Array,
    geometry: Int32Array,
  ): void;
  convFilterGradient(
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
    geometry: Int32Array,
  ): void;
  convInputGradient(
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
    geometry: Int32Array,
  ): void;
  batchNormForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    epsilon: number,
    relu: boolean,
    y: Float32Array,
    xHat: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gain: Float32Array,
    rows: number,
    channels: number,
  ): void;
  batchNormBackward(
    dy: Float32Array,
    xHat: Float32Array,
    gain: Float32Array,
    y: Float32Array,
    relu: boolean,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
    rows: number,
    channels: number,
  ): void;
  /** OpenBLAS' name for the kernel set it loaded (lower case, e.g. "haswell"). */
  blasCore(): string;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  matMul(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
    out: Float32Array,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
  ): void;
}

/** The addon could not be built: names what is missing and how to install it. */
export class NativeBuildError extends Error {}

const HERE = dirname(fileURLToPath(import.meta.url));
/** blas.cc and what it includes or links: all of them go into the build's version. */
const SOURCES = ['blas.cc', 'batch-norm.cc', 'batch-norm.h', 'share.h'].map((name) =>
  join(HERE, name),
);
const COMPILED = SOURCES.filter((path) => path.endsWith('.cc'));
const OUT_DIR = join(PROJECT_ROOT, '.cache/native');

/** Compiler and linker flags for OpenBLAS: pkg-config's when it knows the library, else Debian's paths. */
function openBlasFlags(): string[] {
  try {
    return execFileSync('pkg-config', ['--cflags', '--libs', 'openblas'], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
  } catch {
    const dir = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
    return ['-I/usr/include/x86_64-linux-gnu/openblas-pthread', `-L${dir}`, '-lopenblas'];
  }
}

/**
 * No -march=native and no FMA contraction: the addon's own float code (im2col, batch norm, pooling
 * gradients) then rounds the same way on every AVX2 machine, whatever the compiler could use here.
 */
const COMPILER_FLAGS = [
  '-O3',
  '-mavx2',
  '-ffp-contract=off',
  '-fopenmp',
  '-std=c++17',
  '-shared',
  '-fPIC',
];

function compile(target: string): void {
  const nodeHeaders = join(dirname(process.execPath), '../include/node');
  const blas = openBlasFlags();
  const rpath = blas
    .filter((flag) => flag.startsWith('-L'))
    .map((flag) => `-Wl,-rpath,${flag.slice(2)}`);
  const partial = `${target}.${process.pid}.tmp`;
  try {
    execFileSync(
      'g++',
      [...COMPILER_FLAGS, `-I${nodeHeaders}`, ...COMPILED, '-o', partial, ...blas, ...rpath],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new NativeBuildError(
      `could not build the native training kernels (${COMPILED.join(', ')}); convnet training needs g++, Node's headers ` +
        `(${nodeHeaders}) and OpenBLAS (apt-get install -y g++ libopenblas-dev)${stderr ? `:\n${stderr}` : ''}`,
    );
  }
  // Rename into place so a concurrent build never loads a half-written file.
  renameSync(partial, target);
}

/**
 * The one OpenBLAS kernel set training uses on every machine. Debian's OpenBLAS carries kernels for
 * every x86-64 core and picks one for the CPU when it loads; they block and sum the products in
 * different orders, so unpinned, an AMD EPYC and an Intel Xeon trained different weights (issue 15).
 * Haswell's are the newest that need only AVX2 and FMA, which every x86-64 CPU since 2015 has
 * (SkylakeX's need AVX-512). The library reads OPENBLAS_CORETYPE from the process environment once,
 * as it loads with the addon, so the loader sets it just before and restores the caller's value after.
 */
const BLAS_CORE = 'Haswell';

/** Runs `load` with the environment variables given, then puts back what the caller had. */
function withEnvironment<T>(values: Record<string, string>, load: () => T): T {
  const previous = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  try {
    return load();
  } finally {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Forcing Haswell kernels on a CPU without AVX2 or FMA would end the process on an illegal instruction. */
function assertAvx2(): void {
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return; // no /proc: nothing to check against; OpenBLAS itself will refuse an unknown core
  }
  const missing = ['avx2', 'fma'].filter((flag) => !flags.split(/\s+/).includes(flag));
  if (missing.length > 0) {
    throw new NativeBuildError(
      `convnet training pins OpenBLAS' ${BLAS_CORE} kernels, which need ${missing.join(' and ')}; this CPU lacks them`,
    );
  }
}

let loaded: NativeKernels | undefined;

/** The native kernels, compiled first if this version of their sources has not been built on this machine. */
export function nativeKernels(): NativeKernels {
  if (loaded) return loaded;
  const hash = createHash('sha256');
  for (const source of SOURCES) hash.update(readFileSync(source));
  const version = hash
    .update(process.versions.napi ?? '')
    .update(COMPILER_FLAGS.join(' '))
    .digest('hex')
    .slice(0, 16);
  const target = join(OUT_DIR, `kernels-${version}.node`);
  if (!existsSync(target)) {
    mkdirSync(OUT_DIR, { recursive: true });
    compile(target);
  }
  assertAvx2();
  // OpenBLAS' own threads off as well (the addon asks for that at load too, and no pool is started
  // before). The kernels' OpenMP threads sleep between calls instead of spinning: on 2 cores a
  // spinning thread takes the core that tfjs and V8's helpers need (passive: ~30% less CPU time,
  // and no slower, over 2-epoch builds). Libgomp reads the policy once, as it loads with the addon.
  const kernels = withEnvironment(
    { OPENBLAS_CORETYPE: BLAS_CORE, OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'passive' },
    () => createRequire(import.meta.url)(target) as NativeKernels,
  );
  if (kernels.blasCore().toLowerCase() !== BLAS_CORE.toLowerCase()) {
    // OpenBLAS was already in the process (loaded by something else) with its own choice.
    throw new NativeBuildError(
      `OpenBLAS runs its ${kernels.blasCore()} kernels, not the pinned ${BLAS_CORE}: it was loaded before the training kernels`,
    );
  }
  loaded = kernels;
  return loaded;
}
