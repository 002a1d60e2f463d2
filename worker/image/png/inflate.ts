/**
 * The zlib inflater for a PNG's image data, chosen by size. fflate's streaming Unzlib allocates a
 * fresh output buffer of at least 160 KB on every push (measured: ~0.15-0.3 ms per call in Node,
 * the whole budget of a 28x28 PNG); its one-shot unzlibSync into a buffer we size avoids that, but
 * keeps decoding after the buffer is full, so it is used only where that costs little: a small
 * image whose compressed data can expand to at most ~8 MB of (discarded) output.
 */
import { Unzlib, unzlibSync } from 'fflate';
import { sliceBytes, type ZlibSink } from './idat.ts';

/** Most inflated bytes for the one-shot inflater (its whole output buffer). */
const ONE_SHOT_MAX_INFLATED = 65536;
/** Most compressed bytes for the one-shot inflater: at deflate's ~1032:1 at most ~8 MB of work. */
const ONE_SHOT_MAX_COMPRESSED = 8192;

/** An inflater and the compressed slice size to push to it. */
export interface Inflater {
  sink: ZlibSink;
  slice: number;
}

/**
 * An inflater that hands the inflated data to `onData` in pieces; for data larger than declared,
 * the first piece past `inflatedBytes` arrives before much more work is done.
 */
export function createInflater(
  compressedBytes: number,
  inflatedBytes: number,
  onData: (data: Uint8Array) => void,
): Inflater {
  if (inflatedBytes > ONE_SHOT_MAX_INFLATED || compressedBytes > ONE_SHOT_MAX_COMPRESSED) {
    return { sink: new Unzlib(onData), slice: sliceBytes(inflatedBytes) };
  }
  // One byte of room beyond the declared size: filling it shows that the data is too long.
  const out = new Uint8Array(inflatedBytes + 1);
  const sink: ZlibSink = {
    push: (data, final) => {
      if (final) onData(unzlibSync(data, { out }));
    },
  };
  // A slice larger than all the data: pushImageData gathers it and pushes it once, as final.
  return { sink, slice: compressedBytes + 1 };
}
