/**
 * Starts tfjs' 'wasm' backend inside a Worker.
 *
 * tfjs' own initialiser cannot work here: it compiles the binary from fetched bytes, which Workers
 * forbid ("Wasm code generation disallowed by embedder"), and with a platform fetch it never
 * settles (tensorflow/tfjs#8157). So the 'wasm' backend is re-registered with a factory that
 * instantiates the pre-compiled module bundled by wrangler, then builds the same JS bridge and
 * BackendWasm as tfjs' init() in dist/backend_wasm.js does. This leans on tfjs internals pinned at
 * 4.22.0; test/worker/runtime.test.ts proves which binary runs.
 */
import * as tf from '@tensorflow/tfjs-core';
// The backend class alone: the package index would also register every wasm kernel and tfjs' own
// 'wasm' backend factory, neither of which this Worker uses (see kernels.ts).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js';
import wasmFactory, { type BackendWasmModule } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import { registerWasmKernels } from './kernels.ts';
import { WASM_BINARY, type WasmBinary } from './wasm-binary.ts';

const BACKEND_NAME = 'wasm';
/** tfjs' own priority for 'wasm' (dist/base.js), so nothing else outranks it if registered later. */
const WASM_PRIORITY = 2;

/** The running backend: which binary was instantiated and the memory it computes in. */
export interface WasmRuntime {
  readonly binary: WasmBinary;
  /** The instance's linear memory; read its size when asked, as the heap grows on demand. */
  readonly memory: WebAssembly.Memory;
}

type ReceiveInstance = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;

/** The Emscripten module object as tfjs' init() uses it; tfjs' typings leave out cwrap. */
type EmscriptenGlue = BackendWasmModule & {
  cwrap(name: string, returns: 'number' | null, args: 'number'[]): (...args: number[]) => number;
};

/**
 * Runs the Emscripten glue (its factory serves both the plain and the SIMD binary) on a module
 * instantiated synchronously from `binary`, and adds the cwrap bridge BackendWasm expects.
 */
async function instantiate(binary: WasmBinary): Promise<{ module: BackendWasmModule; memory: WebAssembly.Memory }> {
  let memory: WebAssembly.Memory | undefined;
  // A failure inside the hook, or an Emscripten abort, rejects the factory's promise.
  const module = (await wasmFactory({
    instantiateWasm(imports: WebAssembly.Imports, receive: ReceiveInstance) {
      const instance = new WebAssembly.Instance(binary.module, imports);
      memory = instance.exports.memory as WebAssembly.Memory;
      receive(instance, binary.module);
      return instance.exports;
    },
  })) as EmscriptenGlue;
  if (!memory) throw new Error(`the tfjs wasm glue started without instantiating ${binary.name}`);
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return { module, memory };
}

/**
 * Gives backend `name` the kernels registered for 'wasm'. Each wasm kernel binds its entry point in
 * module-level state when a backend initialises, so of two wasm backends only the one initialised
 * (or re-set-up) last computes correctly: a second backend is for side-by-side measurement only.
 */
function shareWasmKernels(name: string): void {
  if (tf.getKernelsForBackend(name).length === 0) tf.copyRegisteredKernels(BACKEND_NAME, name);
}

/**
 * Registers a Worker-compatible wasm backend on `binary` under `name` and makes it the active
 * backend. By default that is tfjs' 'wasm' backend, replaced, on WASM_BINARY: call it so once per
 * isolate (runtime.ts does); calling again replaces the backend and loses its tensors, which is
 * harmless only after a failed start. Another name registers a second backend (e.g. the plain
 * binary, for benchmarks) with the same kernels.
 */
export async function startWasmBackend(binary: WasmBinary = WASM_BINARY, name: string = BACKEND_NAME): Promise<WasmRuntime> {
  let runtime: WasmRuntime | undefined;
  let failure: unknown;
  registerWasmKernels();
  if (name !== BACKEND_NAME) shareWasmKernels(name);
  if (tf.findBackendFactory(name)) tf.removeBackend(name);
  tf.registerBackend(
    name,
    async () => {
      try {
        const { module, memory } = await instantiate(binary);
        const backend = new BackendWasm(module);
        runtime = { binary, memory };
        return backend;
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    WASM_PRIORITY,
  );
  // setBackend reports a failed factory only as `false` (and a console warning): rethrow the cause.
  const activated = await tf.setBackend(name);
  if (!activated || !runtime) {
    const reason = failure instanceof Error ? failure.message : String(failure ?? 'unknown reason');
    throw new Error(`could not start the tfjs wasm backend with ${binary.name}: ${reason}`);
  }
  return runtime;
}
