/**
 * Inference from a decoded asset on whichever tfjs backend is active.
 * Shared by the build (to evaluate the quantized model) and the Worker (to serve it), so both
 * compute the very same graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createConvNetwork } from './conv.ts';
import type { ModelAsset } from '../asset-format.ts';
import { createKernelNetwork } from './dense-any-backend.ts';
import type { Network } from './network.ts';
import { createWasmNetwork, isWasmBackend } from './dense-wasm-exports.ts';

export type { Network } from './network.ts';

/**
 * Uploads the asset's weights once to the active backend and returns the network computing with
 * them: convolutional assets through tfjs' ops (conv.ts); dense ones through the wasm
 * binary's exports on tfjs' wasm backend (dense-wasm-exports.ts), else through the backend's kernel
 * functions (dense-any-backend.ts). Both dense paths run the same kernels, so they agree bit for bit.
 */
export function createNetwork(asset: ModelAsset): Network {
  if (asset.architecture.kind === 'cnn') return createConvNetwork(asset);
  return isWasmBackend(tf.backend()) ? createWasmNetwork(asset) : createKernelNetwork(asset);
}
