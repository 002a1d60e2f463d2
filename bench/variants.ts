/**
 * The compute variants measured side by side inside workerd: the project's own path (the served
 * model on the SIMD wasm backend), three baselines built from the same asset, each behind the
 * same predict() signature, and every other bundled model (e.g. the CNN) served the same way.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' pure-JS 'cpu' backend and its kernels (priority 1: never chosen over wasm).
import '@tensorflow/tfjs-backend-cpu';
import plainWasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm';
import { decodeAsset, type ModelAsset } from '../asset/format.ts';
import { createNetwork, denseLayers } from '../asset/network.ts';
import { DEFAULT_MODEL, getModel, modelNames } from '../worker/inference/models.ts';
import { BUNDLED_ASSETS } from '../worker/inference/registry.ts';
import { startWasmBackend } from '../worker/runtime/wasm-backend.ts';
import { createPlainNetwork, type Predictor } from './plain-network.ts';

/** One way of computing the model, and the tfjs backend it needs active (none for plain JS). */
export interface Variant {
  name: string;
  backend?: string;
  predictor: Predictor;
  /** Another model, not another way to compute the project's: its outputs are not compared. */
  otherModel?: boolean;
}

/** Name of the second wasm backend, on the non-SIMD binary. */
const PLAIN_WASM = 'wasm-plain';

/**
 * Not a way to classify but the floor under the project's path: only the first layer's fused
 * matMul kernel (XNNPACK, ~99% of the model's multiply-adds) on a resident input, per call.
 */
function firstLayerKernelOnly(asset: ModelAsset, backend: string): Variant {
  const layer = denseLayers(asset)[0]!;
  const kernel = tf.tidy(() => tf.mul(tf.tensor3d(layer.kernel, [1, layer.inputs, layer.units]), tf.tensor1d(layer.columnScales)));
  const bias = tf.tensor1d(layer.bias);
  const matMul = tf.getKernel(tf._FusedMatMul, backend)!.kernelFunc;
  const instance = tf.backend();
  const inputs = new Map<number, tf.Tensor>();
  const attrs = { transposeA: false, transposeB: false, activation: 'relu', leakyreluAlpha: 0 };
  return {
    name: 'floor: layer-1 matMul kernel alone',
    backend,
    predictor: {
      predict(pixels, count) {
        let a = inputs.get(count);
        if (!a) inputs.set(count, (a = tf.tensor3d(pixels, [1, count, layer.inputs])));
        const out = matMul({ inputs: { a, b: kernel, bias }, attrs, backend: instance }) as tf.TensorInfo;
        instance.disposeData(out.dataId);
        return new Float32Array(0);
      },
    },
  };
}

/** Starts the backend `name` (if not yet) and creates the network there. */
async function tfjsVariant(name: string, backend: string, bytes: ArrayBuffer): Promise<Variant> {
  await activate(backend);
  return { name, backend, predictor: createNetwork(await decodeAsset(bytes)) };
}

/**
 * All variants, in a fixed order. The project's model is loaded first, exactly as a request
 * would load it; the baselines then decode the same bundled asset.
 */
export async function createVariants(): Promise<Variant[]> {
  const served = await getModel();
  const bytes = BUNDLED_ASSETS.get(DEFAULT_MODEL);
  if (!served || !bytes) throw new Error(`model ${DEFAULT_MODEL} is not bundled`);
  const project: Variant = { name: 'project (wasm SIMD)', backend: tf.getBackend(), predictor: served };
  const floor = firstLayerKernelOnly(await decodeAsset(bytes), project.backend!);
  await startWasmBackend({ name: 'tfjs-backend-wasm.wasm', simd: false, module: plainWasm }, PLAIN_WASM);
  const variants = [
    project,
    await tfjsVariant('tfjs wasm (no SIMD)', PLAIN_WASM, bytes),
    await tfjsVariant('tfjs cpu', 'cpu', bytes),
    { name: 'plain TypeScript', predictor: createPlainNetwork(await decodeAsset(bytes)) },
    floor,
  ];
  for (const name of modelNames().filter((other) => other !== DEFAULT_MODEL)) {
    // bench/report.ts recognises these rows by the "model " prefix.
    variants.push({ name: `model ${name} (wasm SIMD)`, backend: project.backend, predictor: (await getModel(name))!, otherModel: true });
  }
  await activate(project.backend!);
  return variants;
}

/**
 * Makes `backend` the active tfjs backend and re-binds its kernels to it. Needed because the two
 * wasm backends share kernel modules whose entry points are bound by whichever backend set them
 * up last (see worker/runtime/wasm-backend.ts); re-running the set-up is a few cwrap calls.
 */
export async function activate(backend: string): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  const instance = tf.backend();
  for (const kernel of tf.getKernelsForBackend(backend)) kernel.setupFunc?.(instance);
}
