/**
 * Inference from a decoded asset on whichever tfjs backend is active.
 * Shared by the build (to evaluate the quantized model) and the Worker (to serve it), so both
 * compute the very same graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createConvNetwork } from './conv-network.ts';
import type { ModelAsset } from './format.ts';
import { createKernelNetwork } from './kernel-network.ts';
import type { Network } from './predictor.ts';
import { createWasmNetwork, isWasmBackend } from './wasm-network.ts';

export type { Network } from './predictor.ts';

/**
 * Uploads the asset's weights once to the active backend and returns the network computing with
 * them: convolutional assets through tfjs' ops (conv-network.ts); dense ones through the wasm
 * binary's exports on tfjs' wasm backend (wasm-network.ts), else through the backend's kernel
 * functions (kernel-network.ts). Both dense paths run the same kernels, so they agree bit for bit.
 */
export function createNetwork(asset: ModelAsset): Network {
  if (asset.architecture.kind === 'cnn') return createConvNetwork(asset);
  return isWasmBackend(tf.backend()) ? createWasmNetwork(asset) : createKernelNetwork(asset);
}
