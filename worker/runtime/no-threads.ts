/**
 * Stands in for tfjs' multi-threaded wasm glue (wasm-out/tfjs-backend-wasm-threaded-simd.js and
 * its worker script), which dist/backend_wasm.js imports unconditionally but only tfjs' own init()
 * uses. Workers have no threads and this Worker never calls that init() (wasm-backend.ts starts the
 * backend itself), so wrangler.toml [alias] maps both imports here, shedding ~38 KB of glue.
 */

/** The threaded Emscripten factory: never callable in a Worker. */
export default function threadedGlueUnavailable(): never {
  throw new Error('the multi-threaded tfjs wasm glue is not bundled: Workers have no threads');
}

/** The worker script the threaded glue would spawn. */
export const wasmWorkerContents = '';
