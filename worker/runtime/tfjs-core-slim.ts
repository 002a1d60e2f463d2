/**
 * The part of @tensorflow/tfjs-core the Worker runs: wrangler.toml [alias] bundles this module in
 * place of the package for every import of '@tensorflow/tfjs-core' in the Worker (its own code,
 * classifier/ and tfjs-backend-wasm's files). The package index also registers io handlers, optimizers
 * and platforms at startup, and exports namespace objects (util, backend_util, io, ...) that a
 * bundler must keep whole; Node (training, tests) still uses the full package.
 *
 * What stays is tfjs-core's own code from its dist/ modules: the engine, tensors, the kernel
 * registry, the ops, and the side effects of its base_side_effects.js the runtime relies on.
 * Worker code is typechecked against all of tfjs-core; the bundle build is what refuses an import
 * missing here ("No matching export"), in Worker code and tfjs-backend-wasm's files alike (the
 * latter call only the namespace members below).
 */
import { getOrMakeEngine } from '@tensorflow/tfjs-core/dist/engine.js';
// Registers the flags the engine and tfjs-backend-wasm read (DEBUG, IS_TEST, PROD, ...).
import '@tensorflow/tfjs-core/dist/flags.js';
import { env } from '@tensorflow/tfjs-core/dist/environment.js';
import { buffer } from '@tensorflow/tfjs-core/dist/ops/buffer.js';
import { cast } from '@tensorflow/tfjs-core/dist/ops/cast.js';
import { clone } from '@tensorflow/tfjs-core/dist/ops/clone.js';
import { conv2d as fusedConv2d } from '@tensorflow/tfjs-core/dist/ops/fused/conv2d.js';
import { matMul as fusedMatMul } from '@tensorflow/tfjs-core/dist/ops/fused/mat_mul.js';
import { print } from '@tensorflow/tfjs-core/dist/ops/print.js';
import { isTypedArrayBrowser } from '@tensorflow/tfjs-core/dist/platforms/is_typed_array_browser.js';
import type { Platform } from '@tensorflow/tfjs-core/dist/platforms/platform.js';
import { setOpHandler } from '@tensorflow/tfjs-core/dist/tensor.js';
import { assertAndGetBroadcastShape } from '@tensorflow/tfjs-core/dist/ops/broadcast_util.js';
import { computeConv2DInfo, computePool2DInfo } from '@tensorflow/tfjs-core/dist/ops/conv_util.js';
import {
  assert,
  bytesPerElement,
  inferFromImplicitShape,
  sizeFromShape,
} from '@tensorflow/tfjs-core/dist/util_base.js';
import { fetch as platformFetch, now } from '@tensorflow/tfjs-core/dist/util.js';

/**
 * What tfjs' browser platform does, without its module's side effect of registering the
 * localStorage and IndexedDB model stores: util.now/fetch/encodeString and isTypedArray call it.
 */
const workerPlatform: Platform = {
  fetch: (path, init) => fetch(path, init),
  now: () => performance.now(),
  encode: (text, encoding) => {
    if (encoding !== 'utf-8' && encoding !== 'utf8')
      throw new Error(`only utf-8 can be encoded, not ${encoding}`);
    return new TextEncoder().encode(text);
  },
  decode: (bytes, encoding) => new TextDecoder(encoding).decode(bytes),
  isTypedArray: (value): value is Float32Array | Int32Array | Uint8Array | Uint8ClampedArray =>
    isTypedArrayBrowser(value),
};

// tfjs-core's base_side_effects.js, minus the platform modules' io registrations.
getOrMakeEngine();
env().setPlatform('browser', workerPlatform);
setOpHandler({ buffer, cast, clone, print });

export * from '@tensorflow/tfjs-core/dist/ops/ops.js';
export * from '@tensorflow/tfjs-core/dist/globals.js';
export * from '@tensorflow/tfjs-core/dist/kernel_registry.js';
export * from '@tensorflow/tfjs-core/dist/kernel_names.js';
export { KernelBackend, DataStorage } from '@tensorflow/tfjs-core/dist/backends/backend.js';
export { Environment, env, ENV } from '@tensorflow/tfjs-core/dist/environment.js';
export { Tensor, TensorBuffer, Variable } from '@tensorflow/tfjs-core/dist/tensor.js';
export type {
  Scalar,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Tensor5D,
} from '@tensorflow/tfjs-core/dist/tensor.js';
export type { TensorInfo, DataId } from '@tensorflow/tfjs-core/dist/tensor_info.js';
export type { DataType, Rank, TypedArray } from '@tensorflow/tfjs-core/dist/types.js';
export type { Platform };
export { version as version_core } from '@tensorflow/tfjs-core/dist/version.js';

// Namespaces reduced to the members the Worker's code and tfjs-backend-wasm's bundled files
// (dist/backend_wasm.js, the kernels in kernels.ts) call: esbuild keeps every member of a namespace
// object it bundles, ~50 KB for these, e.g. util's 64-bit hash and its `long` dependency.
/** tfjs-core's `fused` ops (shadowing ops.js's), reduced to those classifier/forward/conv.ts runs. */
export const fused = { conv2d: fusedConv2d, matMul: fusedMatMul };
/** tfjs-core's `util`, reduced to what the bundled wasm backend calls. */
export const util = {
  assert,
  bytesPerElement,
  fetch: platformFetch,
  inferFromImplicitShape,
  now,
  sizeFromShape,
};
/** tfjs-core's `backend_util`, reduced to what the bundled wasm kernels call. */
export const backend_util = { assertAndGetBroadcastShape, computeConv2DInfo, computePool2DInfo };
/** tfjs-core's `broadcast_util`, reduced to what the bundled wasm kernels call. */
export const broadcast_util = { assertAndGetBroadcastShape };
