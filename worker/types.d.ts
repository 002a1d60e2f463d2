/**
 * Module types for the files wrangler bundles by its default rules: `*.bin` becomes a Data module
 * (an ArrayBuffer) and `*.wasm` a CompiledWasm module (compiled by the runtime at upload, because
 * Workers may not compile WebAssembly from bytes at run time).
 */
declare module '*.bin' {
  const bytes: ArrayBuffer;
  export default bytes;
}

declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

/** `*.html` becomes a Text module (wrangler's default rule): the file's contents as a string. */
declare module '*.html' {
  const text: string;
  export default text;
}

/** worker/client/client.js becomes a Text module (a wrangler.toml rule): the browser helper's source. */
declare module '*/client/client.js' {
  const text: string;
  export default text;
}
