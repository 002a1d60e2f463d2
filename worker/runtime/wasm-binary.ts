/**
 * The tfjs WebAssembly binary this Worker runs. Importing the `.wasm` file makes wrangler upload it
 * as a module that the runtime compiles ahead of time; Workers refuse to compile WebAssembly from
 * bytes, which is how tfjs would otherwise load it. Only the SIMD build: Workers have no threads,
 * and every current Workers runtime supports SIMD.
 */
// tfjs' SIMD binary trimmed to the kernels this Worker registers, by wrangler.toml's [build] command
// (scripts/wasm-trim.ts): a third of the bytes, the same code for everything that remains.
import simdModule from '../../dist/wasm/tfjs-backend-wasm-simd.wasm';

/** A compiled tfjs binary together with the file name it was imported from. */
export interface WasmBinary {
  /** File name of the tfjs binary (in @tensorflow/tfjs-backend-wasm/wasm-out/) it is or derives from, reported by runtimeInfo(). */
  readonly name: string;
  /** Whether the binary was built with WebAssembly SIMD (XNNPACK's wasmsimd kernels). */
  readonly simd: boolean;
  readonly module: WebAssembly.Module;
}

/** The one binary bundled; the name is bound to the very module object the import produced. */
export const WASM_BINARY: WasmBinary = {
  name: 'tfjs-backend-wasm-simd.wasm',
  simd: true,
  module: simdModule,
};
