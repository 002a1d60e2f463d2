/**
 * The models this Worker serves. Each is decoded and uploaded to the wasm backend once per
 * isolate, on first use, and then kept resident: a request only uploads its own pixels.
 */
import type { Architecture } from '../../asset/architecture.ts';
import { decodeAsset } from '../../asset/format.ts';
import { createNetwork } from '../../asset/network.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import { ensureBackend } from '../runtime/runtime.ts';
import { BUNDLED_ASSETS, resolveModelName } from './registry.ts';

export { runtimeInfo, type RuntimeInfo } from '../runtime/runtime.ts';

/** A loaded model, ready to classify. */
export interface ServedModel {
  name: string;
  version: string;
  /** Hex SHA-256 of the asset file. */
  sha256: string;
  /** Class names, index = output unit. */
  labels: readonly string[];
  architecture: Architecture;
  metadata: Record<string, unknown>;
  /** count*784 raw pixels 0..255 -> count*classes probabilities (row-major). Throws RangeError on a length mismatch. */
  predict(pixels: Float32Array, count: number): Float32Array;
}

/** The model served when a request names none. */
export const DEFAULT_MODEL = 'fashion-mnist';

/** Names of the bundled models (no initialisation needed). */
export function modelNames(): string[] {
  return [...BUNDLED_ASSETS.keys()];
}

async function loadModel(name: string, bytes: ArrayBuffer): Promise<ServedModel> {
  await ensureBackend();
  // The build verified these bytes before bundling them (train/manifest.ts): hashing once, for the
  // digest clients see, is enough here.
  const asset = await decodeAsset(bytes, { verifyDigest: false });
  if (asset.name !== name) {
    throw new Error(`bundled asset registered as "${name}" names itself "${asset.name}": fix worker/inference/registry.ts`);
  }
  const network = createNetwork(asset);
  return Object.freeze({
    name: asset.name,
    version: asset.version,
    sha256: asset.sha256,
    labels: Object.freeze([...asset.labels]),
    architecture: asset.architecture,
    metadata: asset.metadata,
    predict: (pixels: Float32Array, count: number) => network.predict(pixels, count),
  });
}

// One memoised loader per bundled asset; building the closures does no work at global scope.
const loaders = new Map(
  [...BUNDLED_ASSETS].map(([name, bytes]) => [name, onceUntilSuccess(() => loadModel(name, bytes))]),
);

/**
 * The named model (default: DEFAULT_MODEL; an alias such as `cnn` names the model it stands for),
 * initialising the wasm backend and the model on first use; undefined for an unknown name.
 * Concurrent first calls share one initialisation; a failed one is retried by the next call.
 */
export async function getModel(name: string = DEFAULT_MODEL): Promise<ServedModel | undefined> {
  return loaders.get(resolveModelName(name))?.();
}
