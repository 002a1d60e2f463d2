/**
 * Derives the tfjs wasm binary the Worker bundles from tfjs' own SIMD build: the same code with
 * the kernel entry points the Worker never registers unexported, and whatever only those reached
 * removed by binaryen's dead-code elimination. Nothing else changes: no optimisation passes run,
 * so every instruction that survives computes exactly what it did (no fast-math, same imports).
 *
 * Why it is safe: Emscripten's glue binds each export lazily, on first call (a missing one fails
 * only if called), and a tfjs kernel binds its entry point only when registered
 * (worker/runtime/kernels.ts); test/worker/runtime.test.ts checks the result.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import { PROJECT_ROOT } from '../project-root.ts';
import { WASM_KERNELS } from '../worker/runtime/kernels.ts';

/** tfjs' SIMD binary, the one input. */
export const SIMD_SOURCE = join(
  PROJECT_ROOT,
  'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm',
);

/**
 * Where the trimmed binary goes; worker/runtime/wasm-binary.ts imports it. Same file name as the
 * source, which the runtime reports as the binary it runs.
 */
export const TRIMMED_OUTPUT = join(PROJECT_ROOT, 'dist/wasm/tfjs-backend-wasm-simd.wasm');

/**
 * The wasm exports the Worker's kernels call: each kernel's setup function run against a stub
 * backend that records the names it binds (its `cwrap` calls), so the list follows kernels.ts.
 */
export function usedKernelExports(): string[] {
  const names = new Set<string>();
  const recorder = { wasm: { cwrap: (name: string) => (names.add(name), () => undefined) } };
  for (const kernel of WASM_KERNELS) kernel.setupFunc?.(recorder as unknown as KernelBackend);
  return [...names].sort();
}

/**
 * tfjs kernel entry points are PascalCase (`Softmax`, `_FusedMatMul`, also internal ones such as
 * `SparseSegmentReduction`); the runtime's own exports (`init`, `malloc`, `__wasm_call_ctors`,
 * `__indirect_function_table`, `stackAlloc`, ...) are not, and are all kept.
 */
const KERNEL_EXPORT = /^_?[A-Z]/;

/** The kernel exports in `exportNames` outside `keep`: what trimming removes. */
function unusedKernelExports(exportNames: readonly string[], keep: readonly string[]): string[] {
  return exportNames.filter((name) => KERNEL_EXPORT.test(name) && !keep.includes(name));
}

/**
 * The trimmed binary: `source` without the kernel exports outside `keep`, dead code eliminated.
 * Deterministic for a given binaryen version. Throws if the result does not validate as MVP +
 * SIMD, the feature set tfjs' SIMD build targets.
 */
export async function trimWasm(source: Uint8Array, keep: readonly string[]): Promise<Uint8Array> {
  // Loaded on demand: binaryen is ~15 MB of JavaScript, needed only when the output is stale.
  const { default: binaryen } = await import('binaryen');
  const module = binaryen.readBinary(source);
  module.setFeatures(binaryen.Features.SIMD128);
  try {
    const names = Array.from(
      { length: module.getNumExports() },
      (_, i) => binaryen.getExportInfo(module.getExportByIndex(i)).name,
    );
    const missing = keep.filter((name) => !names.includes(name));
    if (missing.length)
      throw new Error(`the tfjs wasm binary lacks the kernel export(s) ${missing.join(', ')}`);
    for (const name of unusedKernelExports(names, keep)) module.removeExport(name);
    module.runPasses(['remove-unused-module-elements']);
    if (!module.validate())
      throw new Error('the trimmed tfjs wasm binary does not validate as MVP + SIMD');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** Digest of everything the trimmed binary depends on: the source, the kept exports, binaryen, this recipe. */
export async function trimInputsDigest(
  source: Uint8Array,
  keep: readonly string[],
): Promise<string> {
  const binaryenVersion = (
    createRequire(import.meta.url)('binaryen/package.json') as { version: string }
  ).version;
  return createHash('sha256')
    .update(source)
    .update(`\n${keep.join(',')}\nbinaryen ${binaryenVersion}\n`)
    .update(await readFile(fileURLToPath(import.meta.url)))
    .digest('hex');
}
