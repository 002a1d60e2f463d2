/**
 * The pieces that start a tfjs wasm backend inside a Worker (shared-backend.ts puts them together).
 *
 * tfjs' own initialiser cannot work here: it compiles the binary from fetched bytes, which Workers
 * forbid ("Wasm code generation disallowed by embedder"), and with a platform fetch it never
 * settles (tensorflow/tfjs#8157). So this module instantiates the pre-compiled module bundled by
 * wrangler, builds the same JS bridge and BackendWasm as tfjs' init() in dist/backend_wasm.js does,
 * and re-registers the 'wasm' backend with it; all of it synchronously, so that the Worker can start
 * its runtime at global scope. This leans on tfjs internals pinned at 4.22.0;
 * test/worker/runtime.test.ts proves which binary runs.
 */
import * as tf from '@tensorflow/tfjs-core';
// The backend class alone: the package index would also register every wasm kernel and tfjs' own
// 'wasm' backend factory, neither of which this Worker uses (see kernels.ts).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js';
import wasmFactory, {
  type BackendWasmModule,
} from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import type { WasmBinary } from './wasm-binary.ts';

/** tfjs' own priority for 'wasm' (dist/base.js), so nothing else outranks it if registered later. */
const WASM_PRIORITY = 2;

type ReceiveInstance = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;

/** The Emscripten module object as tfjs' init() uses it; tfjs' typings leave out cwrap and calledRun. */
type EmscriptenGlue = BackendWasmModule & {
  cwrap(name: string, returns: 'number' | null, args: 'number'[]): (...args: number[]) => number;
  /** Set once the runtime has initialised (the instance's constructors ran). */
  calledRun?: boolean;
};

/**
 * Runs the Emscripten glue (its factory serves both the plain and the SIMD binary) on a module
 * instantiated synchronously from `binary`, and adds the cwrap bridge BackendWasm expects.
 *
 * Synchronous, so that it can run at global scope: the factory fills in the object it is given
 * (MODULARIZE's Module) and, when the instantiateWasm hook hands the instance over before
 * returning, initialises the runtime before it returns; only its promise (Module.ready) waits for
 * a microtask, so the object is used directly. A failure is thrown here rather than through that
 * promise: a throwing hook would make the glue fall back to fetching the binary.
 */
function instantiate(binary: WasmBinary): {
  module: BackendWasmModule;
  memory: WebAssembly.Memory;
} {
  let memory: WebAssembly.Memory | undefined;
  let failure: unknown;
  const config = {
    instantiateWasm(imports: WebAssembly.Imports, receive: ReceiveInstance) {
      try {
        const instance = new WebAssembly.Instance(binary.module, imports);
        memory = instance.exports.memory as WebAssembly.Memory;
        receive(instance, binary.module);
        return instance.exports;
      } catch (error) {
        failure = error;
        return {};
      }
    },
  };
  // Settled already (or never, after a failure): its outcome is read from `glue` below instead. An
  // abort while the runtime initialises throws here and also rejects it; that rejection is handled.
  wasmFactory(config).catch(() => undefined);
  const glue = config as unknown as EmscriptenGlue;
  if (failure !== undefined) throw failure;
  if (!memory || !glue.calledRun)
    throw new Error(`the tfjs wasm glue did not initialise ${binary.name} synchronously`);
  glue.tfjs = {
    init: glue.cwrap('init', null, []),
    initWithThreadsCount: glue.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: glue.cwrap('get_threads_count', 'number', []),
    registerTensor: glue.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: glue.cwrap('dispose_data', null, ['number']),
    dispose: glue.cwrap('dispose', null, []),
  };
  return { module: glue, memory };
}

/**
 * A tfjs BackendWasm on `binary`, instantiated synchronously (so at global scope too), and the
 * linear memory it computes in; throws if the binary cannot be started.
 */
export function createWasmBackend(binary: WasmBinary): {
  backend: BackendWasm;
  memory: WebAssembly.Memory;
} {
  const { module, memory } = instantiate(binary);
  return { backend: new BackendWasm(module), memory };
}

/**
 * Registers `backend` under `name`, replacing any backend of that name (and losing its tensors), and
 * makes it the active backend, synchronously. Its kernels must be registered for `name` before: each
 * wasm kernel binds its entry point when the backend is set up, so of two wasm backends only the one
 * set up last computes correctly.
 */
export function activateBackend(name: string, backend: BackendWasm): void {
  if (tf.findBackendFactory(name)) tf.removeBackend(name);
  // A factory returning the backend itself, not a promise: tfjs then registers and activates it,
  // and sets up its kernels, before setBackend returns its promise, which only reports the outcome.
  tf.registerBackend(name, () => backend, WASM_PRIORITY);
  tf.setBackend(name).catch((error: unknown) =>
    console.error(`setting up the kernels of ${name} failed`, error),
  );
  if (tf.backend() !== backend) throw new Error(`tfjs did not activate the wasm backend ${name}`);
}
