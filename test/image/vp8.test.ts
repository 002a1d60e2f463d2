/**
 * The VP8 luma decoder (worker/image/webp/vp8/) against libwebp as sharp runs it: pixel for pixel on
 * files encoded without the loop filter (the one step it leaves out), within a few levels after
 * averaging on files with it; and on truncated and damaged files, a 400 and nothing else.
 */
import { readFileSync } from 'node:fs';
import encode, { init } from '@jsquash/webp/encode.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../../worker/http/problem.ts';
import { AreaGrid } from '../../worker/image/area.ts';
import { luma } from '../../worker/image/gray.ts';
import { decodeWebp } from '../../worker/image/webp/decode.ts';
import { readWebpHeader } from '../../worker/image/webp/header.ts';
import { decodeVp8Luma } from '../../worker/image/webp/vp8/decode.ts';
import { encodeWebp, garmentPhoto, sharpRgba } from '../../harness/image/webp-fixtures.ts';

/** libwebp's encoder with every option (sharp exposes no loop-filter strength), the one @jsquash/webp ships. */
beforeAll(async () => {
  const wasm = 'node_modules/@jsquash/webp/codec/enc/webp_enc_simd.wasm';
  await init(new WebAssembly.Module(readFileSync(wasm)));
});

async function encodeWithOptions(
  rgba: Uint8Array,
  width: number,
  height: number,
  options: Record<string, number>,
): Promise<Uint8Array> {
  const image = { data: new Uint8ClampedArray(rgba.buffer), width, height } as ImageData;
  return new Uint8Array(await encode(image, options));
}

/** The VP8 chunk's payload of a simple or extended WebP. */
function vp8Payload(webp: Uint8Array): Uint8Array {
  const { bitstream } = readWebpHeader(webp);
  return webp.subarray(bitstream.offset, bitstream.offset + bitstream.length);
}

/** sharp's decode as luma, averaged over factor x factor blocks (factor 1: every pixel). */
async function sharpLuma(webp: Uint8Array, factor: number): Promise<Uint8Array> {
  const { width, height, data } = await sharpRgba(webp);
  const grid = new AreaGrid(width, height, factor);
  const row = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width * 4; x < width; x++, i += 4)
      row[x] = luma(data[i]!, data[i + 1]!, data[i + 2]!);
    grid.add(row, width, y, 0, 1);
  }
  return grid.result().data;
}

/** A garment photo in gray, so that chroma is neutral and RGB depends on Y alone. */
function grayPhoto(item: number, width: number, height: number, noise: number): Uint8Array {
  const rgba = garmentPhoto(item, width, height, { noise, seed: item + width });
  for (let i = 0; i < rgba.length; i += 4)
    rgba[i] = rgba[i + 1] = rgba[i + 2] = luma(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
  return rgba;
}

describe('files encoded without the loop filter decode to libwebp pixels exactly', () => {
  const sizes: [number, number][] = [
    [64, 48],
    [333, 517], // not whole macroblocks either way
    [1000, 17],
  ];
  const settings: Record<string, number>[] = [
    { quality: 75 }, // 4 segments, one token partition
    { quality: 95, segments: 1, partitions: 3 }, // 8 token partitions
    { quality: 20, method: 6 },
    { quality: 50, method: 0, sns_strength: 100 },
    { quality: 100, segments: 2, partitions: 1 },
  ];
  for (const [width, height] of sizes) {
    for (const options of settings) {
      it(`${width}x${height} ${JSON.stringify(options)}`, async () => {
        const rgba = grayPhoto(width % 10, width, height, 40);
        const webp = await encodeWithOptions(rgba, width, height, {
          ...options,
          filter_strength: 0,
        });
        const decoded = decodeVp8Luma(vp8Payload(webp), 1);
        expect([decoded.width, decoded.height]).toEqual([width, height]);
        expect(decoded.data).toEqual(await sharpLuma(webp, 1));
      });
    }
  }
});

describe('files with the loop filter, averaged as the pipeline averages them', () => {
  for (const quality of [30, 60, 85]) {
    it(`q${quality}: within 3 levels of libwebp at 8x8 and 16x16 blocks, mostly within 1`, async () => {
      const [width, height] = [1024, 768];
      const webp = await encodeWebp(garmentPhoto(2, width, height), width, height, { quality });
      for (const factor of [8, 16]) {
        const ours = decodeVp8Luma(vp8Payload(webp), factor).data;
        const reference = await sharpLuma(webp, factor);
        const differences = ours.map((v, i) => Math.abs(v - reference[i]!));
        expect(Math.max(...differences)).toBeLessThanOrEqual(3);
        expect(differences.filter((d) => d > 1).length / differences.length).toBeLessThan(0.01);
      }
    });
  }

  it('decodeWebp sends large lossy files here and small ones to libwebp', async () => {
    const large = await encodeWebp(garmentPhoto(3, 1200, 900), 1200, 900, { quality: 80 });
    expect(decodeWebp(large, readWebpHeader(large), 128)).toEqual(
      decodeVp8Luma(vp8Payload(large), 9),
    );
    const small = await encodeWebp(garmentPhoto(3, 600, 450), 600, 450, { quality: 80 });
    // libwebp filters: its pixels are not what the unfiltered decode gives, but sharp's.
    const viaLibwebp = decodeWebp(small, readWebpHeader(small), 128);
    expect(viaLibwebp.data).not.toEqual(decodeVp8Luma(vp8Payload(small), 4).data);
    const reference = await sharpLuma(small, 4);
    expect(
      Math.max(...viaLibwebp.data.map((v, i) => Math.abs(v - reference[i]!))),
    ).toBeLessThanOrEqual(1);
  });
});

describe('truncated and damaged files', () => {
  /** A decode's outcome: the image's size, or the problem's status and detail; anything else throws. */
  function outcome(data: Uint8Array): string {
    try {
      const { width, height } = decodeVp8Luma(data, 8);
      return `${width}x${height}`;
    } catch (error) {
      if (error instanceof Problem) return `${error.status} ${error.detail}`;
      throw error;
    }
  }

  it('a payload cut anywhere is a 400 naming where the data ends', async () => {
    const webp = await encodeWebp(garmentPhoto(4, 512, 384), 512, 384, { quality: 80 });
    const payload = vp8Payload(webp);
    for (let length = 10; length < payload.length; length += Math.ceil(payload.length / 97)) {
      expect(outcome(payload.subarray(0, length))).toMatch(
        /^400 the WebP image is truncated or corrupt: (the first VP8 partition runs past the chunk|the last VP8 token partition is empty|the VP8 data ends in macroblock row \d+ of 24)$/,
      );
    }
    expect(outcome(payload)).toBe('64x48');
  });

  it('damaged bytes give a 400 or an image of the declared size, as libwebp refuses or accepts them', async () => {
    const webp = await encodeWebp(garmentPhoto(5, 640, 480), 640, 480, { quality: 70 });
    const { bitstream } = readWebpHeader(webp);
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const accepted = { ours: 0, libwebp: 0 };
    for (let trial = 0; trial < 200; trial++) {
      const file = webp.slice();
      const payload = file.subarray(bitstream.offset, bitstream.offset + bitstream.length);
      // Past the 10-byte frame header, which the container's reader checks.
      for (let k = 0; k <= trial % 8; k++)
        payload[10 + Math.floor(random() * (payload.length - 10))] = Math.floor(random() * 256);
      const result = outcome(payload);
      expect(result).toMatch(/^(80x60|400 the WebP image is truncated or corrupt: .+)$/);
      const libwebpAccepts = await sharpRgba(file).then(
        () => true,
        () => false,
      );
      expect(result === '80x60', `trial ${trial}: ${result}`).toBe(libwebpAccepts);
      accepted.ours += Number(result === '80x60');
      accepted.libwebp += Number(libwebpAccepts);
    }
    expect(accepted).toEqual({ ours: accepted.libwebp, libwebp: accepted.libwebp });
  });
});
