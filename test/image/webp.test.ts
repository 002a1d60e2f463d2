/**
 * WebP input (worker/image/webp/): the header reader on files sharp writes and on crafted ones, and
 * the decoder's luma against sharp's own decode of the same file, area-averaged here independently.
 */
import { describe, expect, it } from 'vitest';
import { Problem } from '../../worker/http/problem.ts';
import { problemOf } from '../problem-of.ts';
import { decodeWebp } from '../../worker/image/webp/decode.ts';
import { areaFactor } from '../../worker/image/scale.ts';
import {
  readWebpHeader,
  WEBP_MAX_LOSSY_BYTES,
  WEBP_MAX_PIXELS,
} from '../../worker/image/webp/header.ts';
import {
  encodeWebp,
  garmentPhoto,
  riffChunk,
  riffWebp,
  sharpRgba,
  vp8lPayload,
  vp8xPayload,
} from '../../harness/image/webp-fixtures.ts';

/** Header, then decode at `longSide`: what the pipeline runs. */
const decode = (bytes: Uint8Array, longSide = 256) =>
  decodeWebp(bytes, readWebpHeader(bytes), longSide);

/**
 * The expected luma, computed apart from the code under test: float BT.601 of sharp's RGBA, alpha
 * over white, averaged over factor x factor blocks (partial at the right and bottom edges).
 */
function referenceGray(
  rgba: { width: number; height: number; data: Uint8Array },
  factor: number,
): Float64Array {
  const { width, height, data } = rgba;
  const [w, h] = [Math.ceil(width / factor), Math.ceil(height / factor)];
  const sum = new Float64Array(w * h);
  const count = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const luma = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
      const o = Math.floor(y / factor) * w + Math.floor(x / factor);
      sum[o] = sum[o]! + 255 - ((255 - luma) * data[p + 3]!) / 255;
      count[o] = count[o]! + 1;
    }
  }
  return sum.map((s, i) => s / count[i]!);
}

function maxDifference(actual: Uint8Array, expected: Float64Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++)
    max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

describe('decoding WebP files sharp writes', () => {
  const cases = [
    {
      name: 'lossy',
      options: { quality: 85 },
      transparent: false,
      compression: 'lossy',
      alpha: false,
      chunk: 'VP8 ',
    },
    {
      name: 'lossless',
      options: { lossless: true },
      transparent: false,
      compression: 'lossless',
      alpha: false,
      chunk: 'VP8L',
    },
    {
      name: 'lossy with alpha',
      options: { quality: 80 },
      transparent: true,
      compression: 'lossy',
      alpha: true,
      chunk: 'VP8X',
    },
    {
      name: 'lossless with alpha',
      options: { lossless: true },
      transparent: true,
      compression: 'lossless',
      alpha: true,
      chunk: 'VP8L',
    },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: header, and luma within 1 level of sharp's decode at every output pixel`, async () => {
      const [width, height] = [600, 800];
      const webp = await encodeWebp(
        garmentPhoto(2, width, height, { transparent: c.transparent }),
        width,
        height,
        c.options,
      );
      expect(String.fromCharCode(...webp.subarray(12, 16))).toBe(c.chunk);
      const header = readWebpHeader(webp);
      expect(header).toEqual({
        type: 'image/webp',
        width,
        height,
        orientation: 1,
        compression: c.compression,
        alpha: c.alpha,
        bitstream: { offset: expect.any(Number), length: expect.any(Number) },
      });
      // The payload of the image chunk, whose header declares its length.
      const { offset, length } = header.bitstream;
      expect(String.fromCharCode(...webp.subarray(offset - 8, offset - 4))).toBe(
        c.compression === 'lossy' ? 'VP8 ' : 'VP8L',
      );
      expect(new DataView(webp.buffer).getUint32(offset - 4, true)).toBe(length);

      const gray = decodeWebp(webp, header, 256);
      // 800 / 3 rounds up to 267 >= 256; a factor of 4 would give 200.
      expect([gray.width, gray.height]).toEqual([200, 267]);
      const expected = referenceGray(await sharpRgba(webp), 3);
      expect(maxDifference(gray.data, expected)).toBeLessThanOrEqual(1);
      // Not a blank picture: the garment is there, dark on light.
      expect(Math.min(...gray.data)).toBeLessThan(100);
      expect(gray.data[0]).toBeGreaterThan(200);
    });
  }

  it('keeps an image no longer than longSide at full size, and reads an odd size exactly', async () => {
    const webp = await encodeWebp(garmentPhoto(5, 97, 131), 97, 131, { quality: 90 });
    const gray = decode(webp);
    expect([gray.width, gray.height]).toEqual([97, 131]);
    expect(maxDifference(gray.data, referenceGray(await sharpRgba(webp), 1))).toBeLessThanOrEqual(
      1,
    );
  });

  it('averages partial blocks at the right and bottom edges', async () => {
    // 1001 x 515 at longSide 256: factor 3 (ceil(1001 / 3) = 334), leaving 2-pixel-wide and -high edge blocks.
    const webp = await encodeWebp(garmentPhoto(8, 1001, 515), 1001, 515, { lossless: true });
    const gray = decode(webp);
    expect(areaFactor(1001, 515, 256)).toBe(3);
    expect([gray.width, gray.height]).toEqual([334, 172]);
    expect(maxDifference(gray.data, referenceGray(await sharpRgba(webp), 3))).toBeLessThanOrEqual(
      1,
    );
  });

  it('reads the EXIF orientation sharp writes, and decodes in stored orientation', async () => {
    const rgba = garmentPhoto(0, 300, 200);
    for (const orientation of [3, 6, 8]) {
      const webp = await encodeWebp(rgba, 300, 200, { quality: 80 }, orientation);
      const header = readWebpHeader(webp);
      expect(header.orientation).toBe(orientation);
      const gray = decodeWebp(webp, header, 256);
      expect([gray.width, gray.height]).toEqual([300, 200]);
    }
  });
});

describe('the reduction factor', () => {
  it('is the largest whose long side stays at least longSide', () => {
    expect(areaFactor(2048, 1536, 256)).toBe(8);
    expect(areaFactor(511, 100, 256)).toBe(2); // ceil(511 / 2) = 256
    expect(areaFactor(510, 100, 256)).toBe(1); // 255 would be too short
    expect(areaFactor(256, 256, 256)).toBe(1);
    for (let long = 257; long < 5000; long += 97) {
      const f = areaFactor(long, 10, 256);
      expect(Math.ceil(long / f)).toBeGreaterThanOrEqual(256);
      expect(Math.ceil(long / (f + 1))).toBeLessThan(256);
    }
  });
});

describe('crafted and damaged WebP files', () => {
  const exifTiff = (orientation: number) => {
    // Big-endian TIFF header, IFD0 at 8 with one entry: Orientation (0x0112), SHORT, count 1.
    const tiff = new Uint8Array(26);
    const view = new DataView(tiff.buffer);
    tiff.set([0x4d, 0x4d, 0, 42]);
    view.setUint32(4, 8);
    view.setUint16(8, 1);
    view.setUint16(10, 0x0112);
    view.setUint16(12, 3);
    view.setUint32(14, 1);
    view.setUint16(18, orientation);
    return tiff;
  };

  it('reads an extended file: canvas, EXIF after the image, with or without the JPEG "Exif\\0\\0" prefix', () => {
    const image = riffChunk('VP8L', vp8lPayload(40, 30));
    expect(
      readWebpHeader(
        riffWebp([
          riffChunk('VP8X', vp8xPayload(0x08, 40, 30)),
          image,
          riffChunk('EXIF', exifTiff(6)),
        ]),
      ),
    ).toMatchObject({ width: 40, height: 30, orientation: 6 });
    const prefixed = new Uint8Array([...new TextEncoder().encode('Exif\0\0'), ...exifTiff(8)]);
    expect(
      readWebpHeader(
        riffWebp([
          riffChunk('VP8X', vp8xPayload(0x08, 40, 30)),
          image,
          riffChunk('EXIF', prefixed),
        ]),
      ).orientation,
    ).toBe(8);
    // A broken EXIF block is no reason to refuse the image.
    expect(
      readWebpHeader(
        riffWebp([
          riffChunk('VP8X', vp8xPayload(0x08, 40, 30)),
          image,
          riffChunk('EXIF', new Uint8Array(5)),
        ]),
      ).orientation,
    ).toBe(1);
  });

  it('refuses animated WebP with 415, by the VP8X flag or by an ANMF chunk', () => {
    const flagged = riffWebp([
      riffChunk('VP8X', vp8xPayload(0x02, 40, 30)),
      riffChunk('ANIM', new Uint8Array(6)),
    ]);
    expect(problemOf(() => readWebpHeader(flagged))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/^animated WebP images are not supported/),
    });
    const unflagged = riffWebp([
      riffChunk('VP8X', vp8xPayload(0, 40, 30)),
      riffChunk('ANMF', new Uint8Array(16)),
    ]);
    expect(problemOf(() => readWebpHeader(unflagged)).status).toBe(415);
  });

  it('refuses with 400: a RIFF size beyond the file, too many chunks, sizes beyond 16383, a canvas that disagrees', () => {
    const image = riffChunk('VP8L', vp8lPayload(40, 30));
    const cases: [Uint8Array, RegExp][] = [
      [riffWebp([image], 1000), /declares 1008 bytes, but the file has 42/],
      [
        riffWebp([
          riffChunk('VP8X', vp8xPayload(0, 40, 30)),
          ...Array.from({ length: 70 }, () => riffChunk('XMP ', new Uint8Array(0))),
          image,
        ]),
        /more than 64 chunks/,
      ],
      [riffWebp([riffChunk('VP8L', vp8lPayload(16384, 16))]), /invalid size 16384x16/],
      [
        riffWebp([riffChunk('VP8X', vp8xPayload(0, 41, 30)), image]),
        /canvas is 41x30, but the image is 40x30/,
      ],
      [riffWebp([riffChunk('VP8X', vp8xPayload(0, 40, 30))]), /no VP8 or VP8L image chunk/],
      [riffWebp([riffChunk('ICCP', new Uint8Array(4))]), /first chunk is "ICCP"/],
      [
        riffWebp([riffChunk('VP8 ', new Uint8Array([1, 0, 0, 0x9d, 1, 0x2a, 40, 0, 30, 0]))]),
        /does not start with a key frame/,
      ],
    ];
    for (const [bytes, detail] of cases) {
      expect(problemOf(() => readWebpHeader(bytes))).toMatchObject({
        status: 400,
        detail: expect.stringMatching(detail),
      });
    }
  });

  it('answers 413 for more than WEBP_MAX_PIXELS pixels before decoding anything', () => {
    // A header alone: decoding would fail, so a 413 shows the check came first.
    const big = riffWebp([riffChunk('VP8L', vp8lPayload(4096, 4096))]);
    expect(4096 * 4096).toBeGreaterThan(WEBP_MAX_PIXELS);
    expect(problemOf(() => readWebpHeader(big))).toMatchObject({
      status: 413,
      detail: expect.stringContaining('4096x4096 = 16777216 pixels'),
    });
    const edge = riffWebp([riffChunk('VP8L', vp8lPayload(2048, 2048))]);
    expect(readWebpHeader(edge)).toMatchObject({ width: 2048, height: 2048 });
  });

  it('answers 413 for a lossy bitstream over WEBP_MAX_LOSSY_BYTES before decoding anything', async () => {
    // A real 64x64 frame header followed by filler: the size alone decides.
    const small = await encodeWebp(garmentPhoto(1, 64, 64), 64, 64, { quality: 80 });
    const frameHeader = small.subarray(20, 30);
    const payload = (length: number) => {
      const bytes = new Uint8Array(length);
      bytes.set(frameHeader);
      return bytes;
    };
    const over = riffWebp([riffChunk('VP8 ', payload(WEBP_MAX_LOSSY_BYTES + 1))]);
    expect(problemOf(() => readWebpHeader(over))).toMatchObject({
      status: 413,
      detail: `the WebP image's lossy bitstream is ${WEBP_MAX_LOSSY_BYTES + 1} bytes; lossy WebP images are decoded up to ${WEBP_MAX_LOSSY_BYTES} bytes`,
    });
    const at = riffWebp([riffChunk('VP8 ', payload(WEBP_MAX_LOSSY_BYTES))]);
    expect(readWebpHeader(at)).toMatchObject({ width: 64, height: 64, compression: 'lossy' });
  });

  it('turns every truncation of real files into a 400', async () => {
    const rgba = garmentPhoto(3, 120, 90, { transparent: true });
    for (const options of [{ quality: 75 }, { lossless: true }]) {
      const webp = await encodeWebp(rgba, 120, 90, options);
      for (const length of [
        0,
        5,
        12,
        19,
        20,
        30,
        40,
        webp.length >> 2,
        webp.length >> 1,
        webp.length - 9,
        webp.length - 1,
      ]) {
        expect(problemOf(() => decode(webp.subarray(0, length))).status).toBe(400);
      }
    }
  });

  it('turns corrupted bitstreams into Problems or pictures, never into anything else', async () => {
    const rgba = garmentPhoto(4, 160, 120, { transparent: true });
    let next = 7;
    const random = () => (next = (Math.imul(next, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let problems = 0;
    for (const options of [
      { quality: 70 },
      { lossless: true },
      { quality: 70, alphaQuality: 50 },
    ]) {
      const webp = await encodeWebp(rgba, 160, 120, options);
      for (let trial = 0; trial < 40; trial++) {
        const damaged = webp.slice();
        // Past the RIFF header, so the damage reaches the chunks and the bitstream.
        for (let k = 0; k < 1 + (trial % 8); k++) {
          const at = 12 + Math.floor(random() * (damaged.length - 12));
          damaged[at] = damaged[at]! ^ (1 << Math.floor(random() * 8));
        }
        try {
          const gray = decode(damaged);
          expect(gray.data.length).toBe(gray.width * gray.height);
        } catch (error) {
          expect(error).toBeInstanceOf(Problem);
          expect([400, 413, 415]).toContain((error as Problem).status);
          problems++;
        }
      }
    }
    expect(problems).toBeGreaterThan(0);
    // The decoder still works after all that.
    expect(decode(await encodeWebp(rgba, 160, 120, { lossless: true })).width).toBe(160);
  });
});
