/**
 * Hands the zlib stream spread over a PNG's consecutive IDAT chunks to a streaming inflater in
 * slices, checking each chunk's CRC on the way. The CRC is what makes every flipped bit a 400: the
 * Adler-32 of the inflated data misses flips that do not change it (deflate's padding bits, the
 * length check of stored blocks, which fflate skips). It costs ~1 ns per byte (~950 MB/s measured),
 * ~13 ms for a 12 MiB body (the default MAX_BODY_BYTES). Small chunks are gathered into one slice
 * (fflate's streaming inflater copies its 32 KB window on every push, so 262,000 one-byte pushes
 * would take seconds); large ones are pushed as views, without a copy.
 */
import { crc32 } from './crc32.ts';
import { corruptPng } from './header.ts';

/** What fflate's Unzlib offers: push compressed bytes, the last push marked final. */
export interface ZlibSink {
  push(data: Uint8Array, final: boolean): void;
}

const IDAT = 0x49444154;

/**
 * Compressed bytes per push: 1/64 of the expected output, 1 to 16 KB. Deflate expands at most
 * ~1032:1, so data longer than declared overshoots by at most ~16 times the declared size (at
 * least 1 MB, at most ~16 MB) before the row assembler sees the excess and stops; 16 KB slices keep
 * fflate's per-push overhead (its window copy and a fresh 160 KB output buffer) small.
 */
export function sliceBytes(inflatedBytes: number): number {
  return Math.min(16384, Math.max(1024, Math.ceil(inflatedBytes / 64)));
}

/**
 * Pushes the data of the IDAT chunks starting at `offset` (the header walk found them consecutive
 * and complete) into `sink`, the last push marked final.
 * @returns The stream's last 4 bytes: the Adler-32 of the inflated data (RFC 1950).
 * @throws Problem 400 when a chunk fails its CRC check.
 */
export function pushImageData(
  bytes: Uint8Array,
  offset: number,
  sink: ZlibSink,
  slice: number,
): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let staging: Uint8Array | undefined;
  let staged = 0;
  let trailer = 0;
  for (; view.getUint32(offset + 4) === IDAT;) {
    const start = offset + 8;
    const end = start + view.getUint32(offset);
    if (crc32(bytes, offset + 4, end) !== view.getUint32(end))
      throw corruptPng(`the IDAT chunk at byte ${offset} fails its CRC check`);
    for (let i = Math.max(start, end - 4); i < end; i++)
      trailer = ((trailer << 8) | bytes[i]!) >>> 0;
    for (let at = start; at < end;) {
      if (staged === 0 && end - at >= slice) {
        sink.push(bytes.subarray(at, at + slice), false);
        at += slice;
        continue;
      }
      staging ??= new Uint8Array(slice);
      const take = Math.min(slice - staged, end - at);
      staging.set(bytes.subarray(at, at + take), staged);
      staged += take;
      at += take;
      if (staged === slice) (sink.push(staging, false), (staged = 0));
    }
    offset = end + 4;
  }
  sink.push(staging ? staging.subarray(0, staged) : new Uint8Array(0), true);
  return trailer;
}
