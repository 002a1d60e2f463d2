/**
 * The compute variants measured side by side inside workerd: the project's own path (the served
 * model on the SIMD wasm backend, calling the binary's exports), four baselines built from the same
 * asset (tfjs' kernel functions on the same binary, the direct path on the binary without SIMD,
 * tfjs' cpu backend, plain TypeScript), each behind the same predict() signature, the floor, and
 * every other bundled model (e.g. the CNN) served the same way.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' pure-JS 'cpu' backend and its kernels (priority 1: never chosen over wasm).
import '@tensorflow/tfjs-backend-cpu';
import plainWasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm';
import { decodeAsset, type ModelAsset } from '../classifier/asset-format.ts';
import { createKernelNetwork } from '../classifier/forward/dense-any-backend.ts';
import { createNetwork } from '../classifier/forward/create-network.ts';
import { createWasmNetwork } from '../classifier/forward/dense-wasm-exports.ts';
import { DEFAULT_MODEL, getModel, modelNames } from '../worker/inference/models.ts';
import { BUNDLED_ASSETS } from '../worker/inference/registry.ts';
import { activateBackend, createWasmBackend } from '../worker/runtime/wasm-backend.ts';
import { createPlainNetwork, type Predictor } from './plain-network.ts';

/** One way of computing the model, and the tfjs backend it needs active (none for plain JS). */
export interface Variant {
  name: string;
  backend?: string;
  predictor: Predictor;
  /** Not another way to compute the project's outputs (another model, or the floor): not compared. */
  uncompared?: boolean;
}

/** Name of the second wasm backend, on the non-SIMD binary. */
const PLAIN_WASM = 'wasm-plain';

/**
 * Not a way to classify but the floor under the project's path: the first layer alone (fused
 * matMul+bias+relu, XNNPACK, ~99% of the model's multiply-adds) through the same direct export calls,
 * pixel write and read-out of its 128 outputs included.
 */
function firstLayerOnly(asset: ModelAsset, backend: string): Variant {
  const first = asset.architecture.layers.find((layer) => layer.type === 'dense');
  const architecture = { ...asset.architecture, layers: first ? [first] : [] };
  return {
    name: 'floor: layer-1 matMul alone (same direct calls)',
    backend,
    predictor: createWasmNetwork({ ...asset, architecture }),
    uncompared: true,
  };
}

/** Starts PLAIN_WASM on tfjs' non-SIMD binary, with the kernels of the project's backend. */
function startPlainWasm(projectBackend: string): void {
  if (tf.getKernelsForBackend(PLAIN_WASM).length === 0)
    tf.copyRegisteredKernels(projectBackend, PLAIN_WASM);
  activateBackend(
    PLAIN_WASM,
    createWasmBackend({ name: 'tfjs-backend-wasm.wasm', simd: false, module: plainWasm }).backend,
  );
}

/** Starts the backend `name` (if not yet) and creates the network there with `create`. */
async function tfjsVariant(
  name: string,
  backend: string,
  bytes: ArrayBuffer,
  create: (asset: ModelAsset) => Predictor = createNetwork,
): Promise<Variant> {
  await activate(backend);
  return { name, backend, predictor: create(await decodeAsset(bytes)) };
}

/**
 * All variants, in a fixed order. The project's model is loaded first, exactly as a request
 * would load it; the baselines then decode the same bundled asset.
 */
export async function createVariants(): Promise<Variant[]> {
  const served = await getModel();
  const bytes = BUNDLED_ASSETS.get(DEFAULT_MODEL);
  if (!served || !bytes) throw new Error(`model ${DEFAULT_MODEL} is not bundled`);
  const project: Variant = {
    name: 'project (wasm SIMD, direct export calls)',
    backend: tf.getBackend(),
    predictor: served,
  };
  const floor = firstLayerOnly(await decodeAsset(bytes), project.backend!);
  const kernels = await tfjsVariant(
    'tfjs kernel functions (wasm SIMD)',
    project.backend!,
    bytes,
    createKernelNetwork,
  );
  startPlainWasm(project.backend!);
  const variants = [
    project,
    kernels,
    await tfjsVariant('wasm without SIMD (direct export calls)', PLAIN_WASM, bytes),
    await tfjsVariant('tfjs cpu', 'cpu', bytes),
    { name: 'plain TypeScript', predictor: createPlainNetwork(await decodeAsset(bytes)) },
    floor,
  ];
  for (const name of modelNames().filter((other) => other !== DEFAULT_MODEL)) {
    // bench/report.ts recognises these rows by the "model " prefix.
    variants.push({
      name: `model ${name} (wasm SIMD)`,
      backend: project.backend,
      predictor: (await getModel(name))!,
      uncompared: true,
    });
  }
  await activate(project.backend!);
  return variants;
}

/**
 * Makes `backend` the active tfjs backend and re-binds its kernels to it. Needed because the two
 * wasm backends share kernel modules whose entry points are bound by whichever backend set them
 * up last (see activateBackend in worker/runtime/wasm-backend.ts); re-running the set-up is a few cwrap calls.
 */
export async function activate(backend: string): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend)))
    throw new Error(`tfjs backend ${backend} failed to start`);
  const instance = tf.backend();
  for (const kernel of tf.getKernelsForBackend(backend)) kernel.setupFunc?.(instance);
}
