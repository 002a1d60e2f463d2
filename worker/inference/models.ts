/**
 * The models this Worker serves. Each is decoded, uploaded to the wasm backend and run once (to
 * pack its weights) once per isolate, then kept resident: a request only uploads its own pixels.
 * The default model is loaded at startup (startDefaultModel), the others on first use.
 */
import { PIXELS_PER_IMAGE, type Architecture } from '../../classifier/architecture.ts';
import { decodeAsset } from '../../classifier/asset-format.ts';
import { createNetwork } from '../../classifier/forward/create-network.ts';
import { Problem } from '../http/problem.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import { ensureBackend, runtimeInfo, type RuntimeInfo } from '../runtime/shared-backend.ts';
import { BUNDLED_ASSETS, resolveModelName } from './registry.ts';

/** The runtime's state and what the served models did on it, e.g. for a test's probe. */
export interface ServingInfo extends RuntimeInfo {
  /** Models loaded, in load order: each uploaded and run once (its warm-up prediction). */
  models: string[];
  /** Predictions run by the loaded models, warm-ups included. */
  predictions: number;
}

const loaded: string[] = [];
let predictions = 0;

/** runtimeInfo() and the served models' share; initialises nothing. */
export function servingInfo(): ServingInfo {
  return { ...runtimeInfo(), models: [...loaded], predictions };
}

/** What a model is, known from its asset alone. */
export interface ModelDescription {
  name: string;
  version: string;
  /** Hex SHA-256 of the asset file. */
  sha256: string;
  /** Class names, index = output unit. */
  labels: readonly string[];
  architecture: Architecture;
  metadata: Record<string, unknown>;
}

/** A loaded model, ready to classify. */
export interface ServedModel extends ModelDescription {
  /** count*784 raw pixels 0..255 -> count*classes probabilities (row-major). Throws RangeError on a length mismatch. */
  predict(pixels: Float32Array, count: number): Float32Array;
}

/** The model served when a request names none. */
export const DEFAULT_MODEL = 'fashion-mnist';

/** Names of the bundled models (no initialisation needed). */
export function modelNames(): string[] {
  return [...BUNDLED_ASSETS.keys()];
}

/** The 503 a request gets while `name` cannot be loaded; `stage` says what failed, the log has the error. */
function unavailable(name: string, stage: string, cause: unknown): Problem {
  console.error(`model "${name}" failed to initialise: ${stage}`, cause);
  return new Problem(
    503,
    'Service Unavailable',
    `model "${name}" failed to initialise: ${stage}; the error is in the Worker's logs`,
  );
}

async function loadModel(name: string, bytes: ArrayBuffer): Promise<ServedModel> {
  try {
    ensureBackend();
  } catch (error) {
    throw unavailable(name, 'the wasm backend did not start', error);
  }
  try {
    return await loadOnBackend(name, bytes);
  } catch (error) {
    throw unavailable(name, 'its asset did not load onto the wasm backend', error);
  }
}

async function loadOnBackend(name: string, bytes: ArrayBuffer): Promise<ServedModel> {
  // The build verified these bytes before bundling them (train/manifest.ts): hashing once, for the
  // digest clients see, is enough here.
  const asset = await decodeAsset(bytes, { verifyDigest: false });
  if (asset.name !== name) {
    throw new Error(
      `bundled asset registered as "${name}" names itself "${asset.name}": fix worker/inference/registry.ts`,
    );
  }
  const network = createNetwork(asset);
  const predict = (pixels: Float32Array, count: number): Float32Array => {
    predictions++;
    return network.predict(pixels, count);
  };
  // The first prediction packs each layer's weights for XNNPACK and runs its kernels' code for the
  // first time: done here, it is part of loading, not of the first request.
  predict(new Float32Array(PIXELS_PER_IMAGE), 1);
  loaded.push(name);
  return Object.freeze({
    name: asset.name,
    version: asset.version,
    sha256: asset.sha256,
    labels: Object.freeze([...asset.labels]),
    architecture: asset.architecture,
    metadata: asset.metadata,
    predict,
  });
}

// One memoised loader per bundled asset; building the closures does no work at global scope.
const loaders = new Map(
  [...BUNDLED_ASSETS].map(([name, bytes]) => [
    name,
    onceUntilSuccess(() => loadModel(name, bytes)),
  ]),
);

/**
 * The named model (default: DEFAULT_MODEL; an alias such as `cnn` names the model it stands for),
 * initialising the wasm backend and the model on first use; undefined for an unknown name.
 * Concurrent first calls share one initialisation; a failed one rejects with a 503 Problem naming
 * what failed, and is retried by the next call.
 */
export async function getModel(name: string = DEFAULT_MODEL): Promise<ServedModel | undefined> {
  return loaders.get(resolveModelName(name))?.();
}

/**
 * The named model's description, for pages about it: that of the loaded model, or, when it cannot
 * load (the runtime failed), read from its asset alone, so that such pages still answer; undefined
 * for an unknown name.
 */
export async function describeModel(
  name: string = DEFAULT_MODEL,
): Promise<ModelDescription | undefined> {
  try {
    return await getModel(name);
  } catch {
    // getModel has logged why; the asset itself decodes without the runtime.
    const { tensors: _tensors, ...description } = await decodeAsset(
      BUNDLED_ASSETS.get(resolveModelName(name))!,
      { verifyDigest: false },
    );
    return description;
  }
}

/**
 * Loads the default model now: the Worker calls this at global scope, where Workers allow CPU work
 * (and run it while the client's TLS handshake completes) but no I/O, so the first request finds the
 * backend started and the model loaded and packed. The backend starts synchronously; the rest
 * settles in microtasks, which workerd runs after evaluating the Worker and before its first
 * request. Never throws: a failure is logged, and getModel() retries it on the next request.
 */
export function startDefaultModel(): void {
  getModel().catch(() => undefined);
}
