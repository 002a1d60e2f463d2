/**
 * The per-isolate runtime: one wasm backend shared by every request the isolate serves. The Worker
 * starts it at global scope (worker/inference/models.ts startDefaultModel), where Workers allow CPU
 * work but no I/O; code that runs without that start gets it on first use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from './kernels.ts';
import { activateBackend, createWasmBackend } from './wasm-backend.ts';
import { WASM_BINARY, type WasmBinary } from './wasm-binary.ts';

/** The running backend: which binary was instantiated and the memory it computes in. */
export interface WasmRuntime {
  readonly binary: WasmBinary;
  /** The instance's linear memory; read its size when asked, as the heap grows on demand. */
  readonly memory: WebAssembly.Memory;
}

let running: WasmRuntime | undefined;
let attempts = 0;

/**
 * tfjs' 'wasm' backend on WASM_BINARY, replaced by a Worker-compatible one (wasm-backend.ts explains),
 * started synchronously by the first call; throws if it cannot start, and the next call tries again
 * (a failed start leaves no backend behind to reuse).
 */
export function ensureBackend(): WasmRuntime {
  if (running) return running;
  attempts++;
  registerWasmKernels();
  const { backend, memory } = createWasmBackend(WASM_BINARY);
  activateBackend('wasm', backend);
  running = { binary: WASM_BINARY, memory };
  return running;
}

/** What is running, cheap enough for every health check. Never starts the backend itself. */
export interface RuntimeInfo {
  /** Active tfjs backend ('wasm'), or 'none' before the backend has started. */
  backend: string;
  /** File name of the instantiated tfjs binary, or 'none' before initialisation. */
  wasmBinary: string;
  /** Whether the instantiated binary is the SIMD build. */
  simd: boolean;
  /** @tensorflow/tfjs-core version. */
  tfjsVersion: string;
  /** Live tfjs tensors: constant between requests once the models are loaded, else a leak. */
  tensors: number;
  /** Size of the wasm linear memory in bytes (grows on demand, never shrinks). */
  wasmHeapBytes: number;
  /** Whether the backend has started. */
  initialised: boolean;
  /** How many times this isolate started initialising the backend: 1 unless a start failed. */
  initialisations: number;
}

/** Reports the runtime's state without touching tfjs' lazy backend selection. */
export function runtimeInfo(): RuntimeInfo {
  return {
    backend: running ? tf.getBackend() : 'none',
    wasmBinary: running?.binary.name ?? 'none',
    simd: running?.binary.simd ?? false,
    tfjsVersion: tf.version_core,
    // engine().state rather than tf.memory(): the latter would make tfjs pick a backend itself.
    tensors: tf.engine().state.numTensors,
    wasmHeapBytes: running?.memory.buffer.byteLength ?? 0,
    initialised: running !== undefined,
    initialisations: attempts,
  };
}
