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
  instantiateWasm: (
    imports: WebAssembly.Imports,
    ready: (instance: WebAssembly.Instance) => void,
  ) => WebAssembly.Exports;
}) => Promise<unknown>;

/**
 * Wasm memory a module may keep between decodes. Its memory starts at 16 MiB (Emscripten's default)
 * and grows with the image (about 9 bytes per pixel for lossless), and wasm memory never shrinks: a
 * module that grew beyond this is dropped after its decode, so that the garbage collector can take
 * the memory back. Not below what a 2048 x 1536 lossless image needs (29 MiB): re-instantiating and
 * growing again cost ~100 ms of CPU per decode in workerd, more than the decode itself.
 */
const KEPT_MEMORY_BYTES = 32 * 2 ** 20;

let libwebp: LibwebpModule | undefined;

/**
 * Instantiates the module. The Emscripten factory runs to completion synchronously when
 * `instantiateWasm` hands it the instance at once: the object passed in has `decode` when it returns.
 */
function instantiate(): LibwebpModule {
  const module = {
    noInitialRun: true,
    instantiateWasm(
      imports: WebAssembly.Imports,
      ready: (instance: WebAssembly.Instance) => void,
    ): WebAssembly.Exports {
      const instance = new WebAssembly.Instance(libwebpWasm, imports);
      ready(instance);
      return instance.exports;
    },
  };
  void (createLibwebp as unknown as Factory)(module);
  const loaded = module as Partial<LibwebpModule>;
  if (typeof loaded.decode !== 'function' || !loaded.HEAPU8)
    throw new Error('the libwebp module did not initialise synchronously');
  return loaded as LibwebpModule;
}

/**
 * Decodes a still WebP (lossy or lossless, with or without alpha) to RGBA, or returns null when
 * libwebp refuses the bytes. A module whose memory has grown past KEPT_MEMORY_BYTES, or that threw,
 * is dropped afterwards, and the next decode gets a fresh one.
 */
export function decodeRgba(bytes: Uint8Array): RgbaImage | null {
  const module = (libwebp ??= instantiate());
  let keep = false;
  try {
    const image = module.decode(bytes);
    keep = module.HEAPU8.buffer.byteLength <= KEPT_MEMORY_BYTES;
    return image;
  } finally {
    if (!keep) libwebp = undefined;
  }
}
