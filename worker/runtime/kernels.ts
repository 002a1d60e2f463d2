/**
 * The tfjs wasm kernels the served models run, registered one by one instead of through the
 * package index (which registers all ~160 and costs bundle bytes, startup evaluation and one
 * set-up call each when the backend starts). The dense model needs none of them: it calls the
 * binary's exports directly (asset/wasm-network.ts). Convolutional models (asset/conv-network.ts)
 * run tfjs ops, which need _FusedMatMul, Softmax, FusedConv2D, MaxPool and Reshape. A model needing
 * another kernel fails at load with a message naming it (see createConvNetwork).
 */
import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { _fusedMatMulConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/_FusedMatMul.js';
import { fusedConv2DConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/FusedConv2D.js';
import { maxPoolConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/MaxPool.js';
import { reshapeConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Reshape.js';
import { softmaxConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Softmax.js';

const KERNELS: readonly KernelConfig[] = [_fusedMatMulConfig, softmaxConfig, fusedConv2DConfig, maxPoolConfig, reshapeConfig];

/**
 * Registers the kernels for tfjs' 'wasm' backend name. Must run before that backend starts: each
 * kernel binds its wasm entry point when the backend initialises. Kernels already registered (by
 * code that imports more of tfjs) are left alone.
 */
export function registerWasmKernels(): void {
  for (const kernel of KERNELS) {
    if (!getKernel(kernel.kernelName, kernel.backendName)) registerKernel(kernel);
  }
}
