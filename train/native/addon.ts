/**
 * Builds (once per source version) and loads the native training routines of blas.cc: a Node-API
 * addon linked against OpenBLAS. It is compiled here with g++ rather than at `npm install` because
 * only convnet training needs it; the seed MLP and the Worker never load it.
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
  convForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, relu: boolean, out: Float32Array, geometry: Int32Array): void;
  convFilterGradient(x: Float32Array, dy: Float32Array, dFilter: Float32Array, geometry: Int32Array): void;
  convInputGradient(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
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
const SOURCE = join(HERE, 'blas.cc');
const OUT_DIR = join(PROJECT_ROOT, '.cache/native');

/** Compiler and linker flags for OpenBLAS: pkg-config's when it knows the library, else Debian's paths. */
function openBlasFlags(): string[] {
  try {
    return execFileSync('pkg-config', ['--cflags', '--libs', 'openblas'], { encoding: 'utf8' }).trim().split(/\s+/);
  } catch {
    const dir = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
    return ['-I/usr/include/x86_64-linux-gnu/openblas-pthread', `-L${dir}`, '-lopenblas'];
  }
}

function compile(target: string): void {
  const nodeHeaders = join(dirname(process.execPath), '../include/node');
  const blas = openBlasFlags();
  const rpath = blas.filter((flag) => flag.startsWith('-L')).map((flag) => `-Wl,-rpath,${flag.slice(2)}`);
  const partial = `${target}.${process.pid}.tmp`;
  try {
    execFileSync('g++', ['-O3', '-march=native', '-std=c++17', '-shared', '-fPIC', `-I${nodeHeaders}`, SOURCE, '-o', partial, ...blas, ...rpath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new NativeBuildError(
      `could not build the native training kernels (${SOURCE}); convnet training needs g++, Node's headers ` +
        `(${nodeHeaders}) and OpenBLAS (apt-get install -y g++ libopenblas-dev)${stderr ? `:\n${stderr}` : ''}`,
    );
  }
  // Rename into place so a concurrent build never loads a half-written file.
  renameSync(partial, target);
}

let loaded: NativeKernels | undefined;

/** The native kernels, compiled first if this version of blas.cc has not been built on this machine. */
export function nativeKernels(): NativeKernels {
  if (loaded) return loaded;
  const version = createHash('sha256').update(readFileSync(SOURCE)).update(process.versions.napi ?? '').digest('hex').slice(0, 16);
  const target = join(OUT_DIR, `kernels-${version}.node`);
  if (!existsSync(target)) {
    mkdirSync(OUT_DIR, { recursive: true });
    compile(target);
  }
  loaded = createRequire(import.meta.url)(target) as NativeKernels;
  return loaded;
}
