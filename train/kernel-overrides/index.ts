/**
 * Kernels that make training practical on the tfjs wasm backend in Node.
 *
 * - Every wasm training run gets the per-channel Sum and Mean of column-reduce.ts (the stock
 *   kernels transpose the whole tensor first, which made convolution bias gradients cost as much
 *   as the convolutions) and an Identity that shares data instead of copying it (identity.ts).
 * - Convnet training also gets the native OpenBLAS kernels of native.ts: the wasm backend has no
 *   Conv2DBackpropFilter at all, and its convolutions, pooling gradients and the batch-norm passes
 *   run several times slower than the addon.
 *
 * test/kernel-overrides.test.ts and test/native-blas.test.ts check them against `cpu`.
 */
import { nativeKernels } from '../native/addon.ts';
import { columnMean, columnSum } from './column-reduce.ts';
import { sharedIdentity } from './identity.ts';
import { NATIVE_KERNELS } from './native.ts';
import { replaceWasmKernel } from './wasm.ts';

let registered = false;

/** Installs these on the 'wasm' backend (once per process; later calls do nothing). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  replaceWasmKernel('Sum', columnSum);
  replaceWasmKernel('Mean', columnMean);
  replaceWasmKernel('Identity', sharedIdentity);
  registered = true;
}

let nativeRegistered = false;

/**
 * Routes convolutions, single-matrix products, max-pool gradients and batch-norm steps on the
 * 'wasm' backend to the native kernels, building them first if needed; once per process. Convnet
 * training only: the seed MLP keeps the wasm kernels its reproducible asset was trained with.
 */
export function registerNativeKernels(): void {
  if (nativeRegistered) return;
  nativeKernels(); // build errors surface here, before training starts
  registerWasmTrainingKernels();
  for (const [name, impl] of Object.entries(NATIVE_KERNELS)) replaceWasmKernel(name, impl);
  nativeRegistered = true;
}
