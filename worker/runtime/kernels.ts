/**
 * The tfjs wasm kernels the served models run, registered one by one instead of through the
 * package index (which registers all ~160 and costs bundle bytes, startup evaluation and one
 * set-up call each when the backend starts). The dense model calls the _FusedMatMul, Softmax and
 * Multiply entry points directly (classifier/forward/dense-wasm-exports.ts); convolutional
 * models (classifier/forward/conv.ts) run tfjs ops, which also need FusedConv2D, MaxPool and Reshape.
 * A model needing another kernel fails at load with a message naming it (see createConvNetwork).
 */
import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { _fusedMatMulConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/_FusedMatMul.js';
import { fusedConv2DConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/FusedConv2D.js';
import { maxPoolConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/MaxPool.js';
import { multiplyConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Multiply.js';
import { reshapeConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Reshape.js';
import { softmaxConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Softmax.js';

/**
 * Every wasm kernel the served models run. scripts/wasm-trim.ts keeps exactly their entry points in
 * the bundled binary, so an export called directly must be listed here even if no op uses it.
 */
export const WASM_KERNELS: readonly KernelConfig[] = [
  _fusedMatMulConfig,
  softmaxConfig,
  multiplyConfig,
  fusedConv2DConfig,
  maxPoolConfig,
  reshapeConfig,
];

/**
 * Registers the kernels for tfjs' 'wasm' backend name. Must run before that backend starts: each
 * kernel binds its wasm entry point when the backend initialises. Kernels already registered (by
 * code that imports more of tfjs) are left alone.
 */
export function registerWasmKernels(): void {
  for (const kernel of WASM_KERNELS) {
    if (!getKernel(kernel.kernelName, kernel.backendName)) registerKernel(kernel);
  }
}
