/**
 * Crafted PNGs against the streaming decoder's header walk and decoder: each is refused with the
 * right status before the damage (or, for ancillary bombs, decoded without touching the bomb);
 * truncation at every cut and random corruption give nothing but Problems.
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Problem } from '../../worker/http/problem.ts';
import { decodePng } from '../../worker/image/png/decode.ts';
import {
  MAX_PNG_CHUNKS,
  MAX_PNG_COMPRESSION_RATIO,
  MAX_PNG_DECODE_WORK,
  MAX_PNG_ANCILLARY_BYTES,
  PNG_RATIO_FREE_WORK,
  readPngHeader,
} from '../../worker/image/png/header.ts';
import { problemOf } from '../problem-of.ts';
import {
  chunk,
  concat,
  encode,
  filteredData,
  ihdr,
  palette,
  rawImage,
  SIGNATURE,
} from '../../harness/image/png-fixtures.ts';

const decode = (bytes: Uint8Array) => decodePng(bytes, readPngHeader(bytes), 256);

/** Status and detail of the Problem decoding `bytes` throws. */
const refusal = (bytes: Uint8Array) => {
  const { status, detail } = problemOf(() => decode(bytes));
  return { status, detail };
};

const image = rawImage(64, 48, 'rgb', 8, 3);
const png = encode(image);
const expected = decode(png);
/** `png` with `extra` chunks inserted right after IHDR. */
const withChunks = (...extra: Uint8Array[]) =>
  concat(png.subarray(0, 33), ...extra, png.subarray(33));
/** A PNG of the given header and raw (uncompressed, already filtered) data. */
const craft = (header: Uint8Array, data: Uint8Array, ...before: Uint8Array[]) =>
  concat(SIGNATURE, header, ...before, chunk('IDAT', deflateSync(data)), chunk('IEND'));
const bomb = (bytes: number) => deflateSync(new Uint8Array(bytes), { level: 9 });
const keyword = (name: string, extra: number[]) =>
  new Uint8Array([...new TextEncoder().encode(name), 0, ...extra]);

describe('compressed ancillary chunks are never inflated', () => {
  it('an iCCP, zTXt or iTXt zlib bomb (256 MB of zeros) leaves the picture decoded as without it', () => {
    const zeros = bomb(256 << 20);
    const bombs = [
      chunk('iCCP', concat(keyword('icc', [0]), zeros)),
      chunk('zTXt', concat(keyword('Comment', [0]), zeros)),
      chunk('iTXt', concat(keyword('XML:com.adobe.xmp', [1, 0, 0, 0]), zeros)),
    ];
    for (const b of bombs) expect(decode(withChunks(b))).toEqual(expected);
  });

  it('more metadata than the cap -> 413', () => {
    const half = chunk('tEXt', new Uint8Array(MAX_PNG_ANCILLARY_BYTES / 2 + 1).fill(65));
    expect(decode(withChunks(half))).toEqual(expected);
    expect(refusal(withChunks(half, half))).toEqual({
      status: 413,
      detail: expect.stringMatching(/metadata chunks hold more than 1048576 bytes/),
    });
  });
});

describe('chunk structure', () => {
  it('a second IHDR declaring 20000x20000 RGBA 16-bit -> 400 from the header walk', () => {
    expect(refusal(withChunks(ihdr(20000, 20000, 'rgba', 16)))).toEqual({
      status: 400,
      detail: expect.stringMatching(/second IHDR/),
    });
  });

  it('IHDR not first, missing IEND, no IDAT, unknown critical chunk', () => {
    expect(
      refusal(concat(SIGNATURE, chunk('tEXt', new Uint8Array(3)), png.subarray(8))).detail,
    ).toMatch(/first chunk is not IHDR/);
    expect(refusal(png.subarray(0, png.length - 12)).detail).toMatch(/before the IEND chunk/);
    expect(refusal(concat(png.subarray(0, 33), chunk('IEND'))).detail).toMatch(/no IDAT/);
    expect(refusal(withChunks(chunk('ABCD', new Uint8Array(2))))).toEqual({
      status: 415,
      detail: expect.stringMatching(/critical chunk .* ABCD/),
    });
  });

  it('PLTE: 1.4 million entries, more entries than the bit depth allows, two, after IDAT, in a gray image -> 400', () => {
    const indexed = rawImage(20, 10, 'palette', 4, 1);
    const plte = chunk('PLTE', palette(16, 1));
    expect(
      refusal(encode(indexed, { before: [chunk('PLTE', new Uint8Array(3 * 1_400_000))] })).detail,
    ).toMatch(/PLTE chunk has 4200000 bytes; a palette holds 1 to 16 entries/);
    expect(refusal(encode(indexed, { before: [chunk('PLTE', palette(17, 1))] })).detail).toMatch(
      /1 to 16 entries/,
    );
    expect(
      refusal(encode(indexed, { before: [chunk('PLTE', new Uint8Array(47))] })).detail,
    ).toMatch(/47 bytes/);
    expect(refusal(encode(indexed, { before: [plte, plte] })).detail).toMatch(/second PLTE/);
    const late = encode(indexed);
    const end = late.length - 12;
    expect(refusal(concat(late.subarray(0, end), plte, late.subarray(end))).detail).toMatch(
      /PLTE chunk comes after the image data/,
    );
    expect(refusal(encode(indexed)).detail).toMatch(/no PLTE/);
    expect(refusal(encode(rawImage(8, 8, 'gray', 8, 1), { before: [plte] })).detail).toMatch(
      /grayscale image must not have a PLTE/,
    );
  });

  it('tRNS: two, before PLTE, too long for the palette or the colour key -> 400', () => {
    const indexed = rawImage(20, 10, 'palette', 2, 1);
    const plte = chunk('PLTE', palette(3, 1));
    const trns = chunk('tRNS', new Uint8Array([0, 9]));
    expect(refusal(encode(indexed, { before: [plte, trns, trns] })).detail).toMatch(/second tRNS/);
    expect(refusal(encode(indexed, { before: [trns, plte] })).detail).toMatch(
      /tRNS chunk comes before the PLTE/,
    );
    expect(
      refusal(encode(indexed, { before: [plte, chunk('tRNS', new Uint8Array(4))] })).detail,
    ).toMatch(/4 entries for 3 palette entries/);
    expect(refusal(withChunks(chunk('tRNS', new Uint8Array(2)))).detail).toMatch(
      /tRNS chunk has 2 bytes instead of 6/,
    );
  });

  it('IDAT chunks interleaved with another chunk -> 400', () => {
    const split = encode(image, { idatSize: 100 });
    const second = 33 + 112; // after IHDR and the first 100-byte IDAT chunk
    expect(
      refusal(
        concat(split.subarray(0, second), chunk('tEXt', new Uint8Array(4)), split.subarray(second)),
      ).detail,
    ).toMatch(/IDAT chunks are not consecutive/);
  });

  it('a chunk length past the end, or over 2^31 -> 400', () => {
    const long = png.slice();
    new DataView(long.buffer).setUint32(33, 0x7fff0000);
    expect(refusal(long).detail).toMatch(/IDAT chunk is cut off \(2147418112 bytes declared/);
    new DataView(long.buffer).setUint32(33, 0x80000000);
    expect(refusal(long).detail).toMatch(/declares a length of 2147483648/);
  });

  it('a flipped bit in any chunk fails its CRC -> 400; a forged CRC is caught by the Adler-32', () => {
    for (const at of [20, 40, png.length - 20]) {
      const flipped = png.slice();
      flipped[at]! ^= 0x04;
      expect(refusal(flipped).detail).toMatch(/fails its CRC check/);
    }
    const idat = png.subarray(41, png.length - 16).slice(); // the zlib stream
    idat[idat.length - 1]! ^= 1; // its Adler-32, with the chunk CRC recomputed to match
    expect(refusal(concat(png.subarray(0, 33), chunk('IDAT', idat), chunk('IEND'))).detail).toMatch(
      /Adler-32/,
    );
  });
});

describe('how much work a file may demand', () => {
  it('a 512x512 PNG in one-byte IDAT chunks (hundreds of thousands) -> 413; in 16,000 chunks it decodes as in one', () => {
    const picture = rawImage(512, 512, 'rgb', 8, 4);
    const whole = encode(picture);
    expect(refusal(encode(picture, { idatSize: 1 }))).toEqual({
      status: 413,
      detail: expect.stringMatching(`more than ${MAX_PNG_CHUNKS} chunks`),
    });
    const many = encode(picture, {
      idatSize: Math.ceil(readPngHeader(whole).compressedBytes / 16_000),
    });
    expect(decode(many)).toEqual(decode(whole));
  });

  it('huge declared sizes -> 413 before any inflating', () => {
    expect(refusal(craft(ihdr(20000, 20000, 'rgba', 16), new Uint8Array(10)))).toEqual({
      status: 413,
      detail: expect.stringMatching(/20000x20000 pixels .* the limit is/),
    });
    expect(refusal(craft(ihdr(0x7fffffff, 0x7fffffff, 'gray', 1), new Uint8Array(10))).status).toBe(
      413,
    );
    expect(refusal(craft(ihdr(1, 2 ** 31, 'gray', 1), new Uint8Array(10))).status).toBe(400); // over PNG's 2^31 - 1
    // From IHDR alone: nothing after it is read.
    expect(
      refusal(concat(SIGNATURE, ihdr(100_000, 100_000, 'rgb', 8), new Uint8Array([1, 2, 3])))
        .status,
    ).toBe(413);
  });

  it('a tiny file declaring megabytes of flat colour: accepted below the ratio-free work, 413 above', () => {
    const side = (work: number) => Math.floor(Math.sqrt(work / 2)); // 8-bit gray: ~2 units of work per pixel
    const under = side(PNG_RATIO_FREE_WORK) - 2;
    const over = side(PNG_RATIO_FREE_WORK) + 2;
    expect(
      decode(craft(ihdr(under, under, 'gray', 8), new Uint8Array(under * (under + 1)))).data.every(
        (v) => v === 0,
      ),
    ).toBe(true);
    expect(refusal(craft(ihdr(over, over, 'gray', 8), new Uint8Array(over * (over + 1))))).toEqual({
      status: 413,
      detail: expect.stringMatching(`more than ${MAX_PNG_COMPRESSION_RATIO} times as many`),
    });
    expect(MAX_PNG_DECODE_WORK).toBeGreaterThan(PNG_RATIO_FREE_WORK);
  });

  it('image data longer than declared stops at once -> 400, shorter -> 400', () => {
    expect(refusal(craft(ihdr(1, 1, 'gray', 8), new Uint8Array(64 << 20))).detail).toMatch(
      /inflates to more than the 2 bytes its header implies/,
    );
    const raw = filteredData(image, false);
    expect(refusal(craft(ihdr(64, 48, 'rgb', 8), concat(raw, new Uint8Array(1)))).detail).toMatch(
      /more than the 9264 bytes/,
    );
    expect(refusal(craft(ihdr(64, 48, 'rgb', 8), raw.subarray(0, raw.length - 1))).detail).toMatch(
      /inflates to 9263 bytes, but its header implies 9264/,
    );
    const big = rawImage(600, 400, 'rgb', 8, 9); // the streaming inflater, not the one-shot one
    const bigRaw = filteredData(big, true);
    expect(
      refusal(craft(ihdr(600, 400, 'rgb', 8, true), concat(bigRaw, new Uint8Array(1 << 20))))
        .detail,
    ).toMatch(/more than the \d+ bytes/);
    expect(refusal(craft(ihdr(600, 400, 'rgb', 8, true), bigRaw.subarray(0, -1))).detail).toMatch(
      /but its header implies/,
    );
  });

  it('a bad filter type byte or palette index -> 400', () => {
    const raw = filteredData(image, false);
    raw[3 * 193] = 5; // the filter byte of row 3 (each row: 1 + 64 * 3 bytes)
    expect(refusal(craft(ihdr(64, 48, 'rgb', 8), raw)).detail).toMatch(/filter type 5/);
    const indexed = rawImage(20, 10, 'palette', 8, 1); // indices up to 199
    expect(refusal(encode(indexed, { before: [chunk('PLTE', palette(100, 1))] })).detail).toMatch(
      /palette index \d+, but the palette has 100 entries/,
    );
  });
});

describe('damaged files', () => {
  const small = encode(rawImage(30, 20, 'rgba', 8, 1), { idatSize: 500 });

  it('truncated at every cut -> 400', () => {
    for (let length = 0; length < small.length; length++) {
      expect(refusal(small.subarray(0, length)).status, `cut to ${length} bytes`).toBe(400);
    }
  });

  it('random corruption -> a picture or a Problem, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const bytes = small.slice();
          for (const [at, value] of edits) bytes[at] = value;
          try {
            expect(decode(bytes).data).toHaveLength(30 * 20);
          } catch (error) {
            if (!(error instanceof Problem) || error.status >= 500) throw error;
          }
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
  });
});
