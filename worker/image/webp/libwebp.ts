/**
 * libwebp's decoder (v1.0.2, compiled to WebAssembly by Squoosh; packaged as @jsquash/webp), driven
 * synchronously. The .wasm is imported as a module, which wrangler uploads for the runtime to compile
 * (Workers may not compile WebAssembly from bytes), and it is instantiated on the first decode only.
 */
import createLibwebp from '@jsquash/webp/codec/dec/webp_dec.js';
import libwebpWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';

/** Decoded pixels: RGBA, 8 bits per sample, straight alpha, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** The part of the Emscripten module this file uses. */
interface LibwebpModule {
  /** WebPDecodeRGBA on a copy of `bytes`; null when libwebp refuses them. */
  decode(bytes: Uint8Array): RgbaImage | null;
  /** A view of the wasm memory, replaced whenever the memory grows. */
  HEAPU8: Uint8Array;
}

type Factory = (overrides: {
  noInitialRun: boolean;
  instantiateWasm: (imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void) => WebAssembly.Exports;
}) => Promise<unknown>;

/**
 * Bytes of wasm memory the module starts with (Emscripten's default INITIAL_MEMORY). Decoding an
 * image whose RGBA output and input do not fit in it grows the memory, which never shrinks again.
 */
export const LIBWEBP_INITIAL_MEMORY = 16 * 2 ** 20;

let libwebp: LibwebpModule | undefined;

/**
 * Instantiates the module. The Emscripten factory runs to completion synchronously when
 * `instantiateWasm` hands it the instance at once: the object passed in has `decode` when it returns.
 */
function instantiate(): LibwebpModule {
  const module = {
    noInitialRun: true,
    instantiateWasm(imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void): WebAssembly.Exports {
      const instance = new WebAssembly.Instance(libwebpWasm, imports);
      ready(instance);
      return instance.exports;
    },
  };
  void (createLibwebp as unknown as Factory)(module);
  const loaded = module as Partial<LibwebpModule>;
  if (typeof loaded.decode !== 'function' || !loaded.HEAPU8) throw new Error('the libwebp module did not initialise synchronously');
  return loaded as LibwebpModule;
}

/**
 * Decodes a still WebP (lossy or lossless, with or without alpha) to RGBA, or returns null when
 * libwebp refuses the bytes. A module whose memory has grown past LIBWEBP_INITIAL_MEMORY, or that
 * threw, is dropped afterwards: the next decode gets a fresh one, and the garbage collector can take
 * back the grown memory, which a live instance would hold for the life of the isolate.
 */
export function decodeRgba(bytes: Uint8Array): RgbaImage | null {
  const module = (libwebp ??= instantiate());
  let keep = false;
  try {
    const image = module.decode(bytes);
    keep = module.HEAPU8.buffer.byteLength <= LIBWEBP_INITIAL_MEMORY;
    return image;
  } finally {
    if (!keep) libwebp = undefined;
  }
}
