/**
 * The JPEG decoder (worker/image/jpeg/): sharp-encoded photos decoded at every scale against
 * sharp's own decode of the same file, hand-made files for restart intervals and sampling factors
 * sharp cannot write, and hostile files: scan bombs, truncation at every cut, random corruption.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Problem } from '../../worker/http/problem.ts';
import { problemOf } from '../problem-of.ts';
import { decodeJpeg } from '../../worker/image/jpeg/decode.ts';
import { jpegDenominator } from '../../worker/image/scale.ts';
import { readJpegHeader } from '../../worker/image/jpeg/header.ts';
import {
  MAX_JPEG_PIXELS,
  MAX_SCANS,
  MAX_VISITS_PER_BLOCK,
} from '../../worker/image/jpeg/limits.ts';
import {
  craftJpeg,
  craftScanBomb,
  GRAY,
  YCBCR_420,
  YCBCR_422,
  type CraftOptions,
} from '../../harness/image/jpeg-craft.ts';
import { photoScene } from '../../harness/image/photo-scene.ts';

const LONG_SIDE = 256;

const decode = (bytes: Uint8Array, longSide = LONG_SIDE) =>
  decodeJpeg(bytes, readJpegHeader(bytes), longSide);

async function encode(
  width: number,
  height: number,
  options: sharp.JpegOptions & { gray?: boolean },
  seed = 1,
): Promise<Uint8Array> {
  let image = sharp(photoScene(width, height, seed), { raw: { width, height, channels: 3 } });
  if (options.gray) image = image.toColourspace('b-w');
  return new Uint8Array(await image.jpeg({ quality: 90, ...options }).toBuffer());
}

/** sharp's decode of the same file as BT.601 luma, averaged over d x d cells (the grid the decoder outputs at 1/d). */
async function referenceLuma(bytes: Uint8Array, d: number): Promise<Float64Array> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const wide = Math.ceil(width / d);
  const sums = new Float64Array(wide * Math.ceil(height / d));
  const counts = new Float64Array(sums.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const luma =
        channels < 3 ? data[i]! : 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      const cell = Math.floor(y / d) * wide + Math.floor(x / d);
      sums[cell] = sums[cell]! + luma;
      counts[cell] = counts[cell]! + 1;
    }
  }
  return sums.map((s, i) => s / counts[i]!);
}

/** Decodes at `longSide` and measures the luma error against sharp: mean and largest absolute difference. */
async function errorAgainstSharp(bytes: Uint8Array, longSide = LONG_SIDE) {
  const header = readJpegHeader(bytes);
  const d = jpegDenominator(header.width, header.height, longSide);
  const image = decodeJpeg(bytes, header, longSide);
  expect([image.width, image.height]).toEqual([
    Math.ceil(header.width / d),
    Math.ceil(header.height / d),
  ]);
  const reference = await referenceLuma(bytes, d);
  let sum = 0;
  let max = 0;
  reference.forEach((r, i) => {
    const e = Math.abs(r - image.data[i]!);
    sum += e;
    max = Math.max(max, e);
  });
  return { d, mean: sum / reference.length, max };
}

describe('readJpegHeader', () => {
  it('reads size, components, coding process and the EXIF orientation', async () => {
    const raw = sharp(photoScene(64, 48), { raw: { width: 64, height: 48, channels: 3 } });
    const upright = await encode(64, 48, { progressive: true });
    expect(readJpegHeader(upright)).toMatchObject({
      type: 'image/jpeg',
      width: 64,
      height: 48,
      orientation: 1,
      progressive: true,
    });
    expect(readJpegHeader(upright).components.map((c) => [c.h, c.v])).toEqual([
      [2, 2],
      [1, 1],
      [1, 1],
    ]);
    for (const orientation of [3, 6, 8]) {
      const bytes = new Uint8Array(
        await raw.clone().withMetadata({ orientation }).jpeg().toBuffer(),
      );
      expect(readJpegHeader(bytes)).toMatchObject({
        width: 64,
        height: 48,
        orientation,
        progressive: false,
      });
    }
    expect(readJpegHeader(await encode(8, 8, { gray: true })).components).toHaveLength(1);
  });

  it('refuses over-cap sizes (413), RGB, CMYK, lossless and 12-bit (415), height 0 and cut headers (400)', async () => {
    const small = await encode(16, 16, {});
    const sof = small.findIndex((b, i) => b === 0xff && small[i + 1] === 0xc0);
    const withSize = (width: number, height: number) =>
      small.map((b, i) =>
        i === sof + 5
          ? height >> 8
          : i === sof + 6
            ? height & 255
            : i === sof + 7
              ? width >> 8
              : i === sof + 8
                ? width & 255
                : b,
      );
    expect(readJpegHeader(withSize(6000, 4000))).toMatchObject({ width: 6000, height: 4000 });
    expect(MAX_JPEG_PIXELS).toBeGreaterThanOrEqual(6000 * 4000);
    expect(problemOf(() => readJpegHeader(withSize(6000, 4200)))).toMatchObject({
      status: 413,
      detail: expect.stringMatching(/6000x4200 = 25200000 pixels/),
    });
    expect(problemOf(() => readJpegHeader(withSize(640, 0)))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/invalid size 640x0/),
    });
    const cmyk = new Uint8Array(
      await sharp(photoScene(16, 16), { raw: { width: 16, height: 16, channels: 3 } })
        .toColourspace('cmyk')
        .jpeg()
        .toBuffer(),
    );
    expect(problemOf(() => readJpegHeader(cmyk))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/CMYK/),
    });
    const adobe = [
      0xff,
      0xee,
      0,
      14,
      ...'Adobe'.split('').map((c) => c.charCodeAt(0)),
      0,
      100,
      0,
      0,
      0,
      0,
      0,
    ];
    const rgb = new Uint8Array([...small.subarray(0, 2), ...adobe, ...small.subarray(2)]);
    expect(problemOf(() => readJpegHeader(rgb))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/RGB/),
    });
    for (const marker of [0xc3, 0xc9])
      expect(
        problemOf(() => readJpegHeader(small.map((b, i) => (i === sof + 1 ? marker : b)))).status,
      ).toBe(415);
    expect(
      problemOf(() => readJpegHeader(small.map((b, i) => (i === sof + 4 ? 12 : b)))).detail,
    ).toMatch(/12-bit/);
    for (let cut = 0; cut < sof + 10; cut++)
      expect(problemOf(() => readJpegHeader(small.subarray(0, cut))).status).toBe(400);
  });
});

describe('decodeJpeg against sharp', () => {
  const cases: [string, number, number, sharp.JpegOptions & { gray?: boolean }][] = [
    ['baseline 4:2:0', 640, 480, {}],
    ['progressive 4:2:0', 640, 480, { progressive: true }],
    ['baseline 4:4:4', 500, 333, { chromaSubsampling: '4:4:4' }],
    ['progressive 4:4:4', 500, 333, { chromaSubsampling: '4:4:4', progressive: true }],
    ['baseline gray', 300, 200, { gray: true }],
    ['progressive gray', 1100, 900, { gray: true, progressive: true }],
    ['baseline 1x1', 1, 1, {}],
    ['progressive 7x13', 7, 13, { progressive: true }],
    ['baseline 1500x1001 (1/4)', 1500, 1001, {}],
    ['progressive 1500x1001 (1/4)', 1500, 1001, { progressive: true }],
  ];
  it.each(cases)(
    '%s (%ix%i) decodes at the chosen scale within 1.5 levels on average',
    async (_, width, height, options) => {
      const { mean, max } = await errorAgainstSharp(await encode(width, height, options));
      expect(mean).toBeLessThan(1.5);
      expect(max).toBeLessThan(24);
    },
  );

  it('decodes the same photo at every scale, 1/8 to 1, baseline and progressive alike', async () => {
    for (const progressive of [false, true]) {
      const bytes = await encode(600, 400, { progressive });
      const errors = [];
      for (const longSide of [600, 300, 150, 75])
        errors.push(await errorAgainstSharp(bytes, longSide));
      expect(errors.map((e) => e.d)).toEqual([1, 2, 4, 8]);
      for (const e of errors) expect(e.mean, `1/${e.d}`).toBeLessThan(1.5);
      // Full scale is the ordinary IDCT: sharp's (libjpeg's integer IDCT and colour conversion) differs by rounding only.
      expect(errors[0]!.max).toBeLessThanOrEqual(4);
    }
  });

  it('decodes a 4033x3025 phone-size photo at 1/8', async () => {
    const e = await errorAgainstSharp(await encode(4033, 3025, {}));
    expect(e.d).toBe(8);
    expect(e.mean).toBeLessThan(1.5);
  });

  it('skips APPn, COM and fill bytes between the tables and the scan, and DHT redefined between progressive scans', async () => {
    const bytes = await encode(96, 64, { progressive: true });
    const sos = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xda);
    const odd = [0xff, 0xfe, 0, 5, 0x68, 0x69, 0x21, 0xff, 0xe5, 0, 2, 0xff, 0xff];
    const spliced = new Uint8Array([...bytes.subarray(0, sos), ...odd, ...bytes.subarray(sos)]);
    expect(decode(spliced).data).toEqual(decode(bytes).data);
    expect(bytes.filter((b, i) => b === 0xff && bytes[i + 1] === 0xc4).length).toBeGreaterThan(1);
  });

  it('decodes the baseline and progressive files of one photo to the same pixels at every scale', async () => {
    // Both hold the same quantised coefficients: the sequential decoder's one-lookup fast path must
    // reproduce what the progressive decoder reads code by code. Quality 98 gives magnitudes too long
    // for the fast path; 4:4:4 and gray give other block interleavings.
    for (const options of [
      { quality: 60 },
      { quality: 98 },
      { chromaSubsampling: '4:4:4' },
      { gray: true },
    ]) {
      const [baseline, progressive] = await Promise.all([
        encode(700, 470, options, 3),
        encode(700, 470, { ...options, progressive: true }, 3),
      ]);
      for (const longSide of [1, 100, 200, 700]) {
        const expected = decode(progressive, longSide);
        expect(
          decode(baseline, longSide),
          `${JSON.stringify(options)} long side ${longSide}`,
        ).toEqual(expected);
      }
    }
  });
});

describe('hand-made files: restart intervals and sampling factors', () => {
  /** Checks every output pixel against the level of the luma block it lies in, at every scale. */
  function expectBlockLevels(
    options: Parameters<typeof craftJpeg>[0],
    lumaScale: [number, number] = [1, 1],
  ) {
    const bytes = craftJpeg(options);
    for (const longSide of [4096, 1]) {
      const image = decode(bytes, longSide);
      const d = longSide === 1 ? 8 : 1;
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const expected = options.level(
            0,
            Math.floor((y * d) / lumaScale[1] / 8),
            Math.floor((x * d) / lumaScale[0] / 8),
          );
          if (image.data[y * image.width + x] !== expected)
            throw new Error(
              `1/${d}: pixel (${x}, ${y}) is ${image.data[y * image.width + x]}, expected ${expected}`,
            );
        }
      }
    }
  }
  const levels = (c: number, row: number, column: number) =>
    c === 0 ? (17 + row * 41 + column * 23) % 256 : 100 + c;

  it('decodes restart intervals of 1, 3 and 7 MCUs, gray and YCbCr 4:2:0, 4:2:2', () => {
    const cases: [CraftOptions['sampling'], restartInterval: number, acScans?: number][] = [
      [GRAY, 1],
      [YCBCR_420, 3],
      [YCBCR_422, 7],
      [YCBCR_422, 2, 2],
    ];
    for (const [sampling, restartInterval, acScans] of cases)
      expectBlockLevels({
        width: 61,
        height: 35,
        sampling,
        level: levels,
        restartInterval,
        acScans,
      });
  });

  it('decodes sampling factors up to 4, and a luma sampled below the chroma (stretched)', () => {
    expectBlockLevels({
      width: 77,
      height: 50,
      sampling: [
        [4, 2],
        [1, 1],
        [1, 1],
      ],
      level: levels,
    });
    expectBlockLevels({
      width: 77,
      height: 50,
      sampling: [
        [1, 4],
        [1, 1],
        [1, 1],
      ],
      level: levels,
      acScans: 1,
    });
    // Y at 1x1 under chroma at 2x2: each luma block spans 16x16 pixels (checked at 1/1 and, block-wise, at 1/8).
    expectBlockLevels(
      {
        width: 64,
        height: 32,
        sampling: [
          [1, 1],
          [2, 2],
          [2, 2],
        ],
        level: levels,
      },
      [2, 2],
    );
  });

  it('refuses a missing or misnumbered restart marker', () => {
    const bytes = craftJpeg({
      width: 32,
      height: 8,
      sampling: [[1, 1]],
      level: levels,
      restartInterval: 1,
    });
    const rst1 = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xd1);
    expect(problemOf(() => decode(bytes.map((b, i) => (i === rst1 + 1 ? 0xd5 : b))))).toMatchObject(
      { status: 400, detail: expect.stringMatching(/RST1/) },
    );
  });
});

describe('hostile files', () => {
  const levels = () => 128;
  it('refuses a scan bomb (80,000 one-EOB-run scans) at its first scans', () => {
    // 4:2:0 luma scans visit 4/6 of the blocks: the visit budget stops the bomb within its first 15 scans.
    const bomb = craftScanBomb();
    expect(bomb.length).toBeGreaterThan(500_000);
    expect(problemOf(() => decode(bomb))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(
        `the scans visit more than ${MAX_VISITS_PER_BLOCK} times the 1536 blocks`,
      ),
    });
    // Scans of a luma that holds 1 block in 10 (chroma 4x2) stay within the visit budget: the scan cap binds.
    expect(MAX_SCANS).toBeLessThan(MAX_VISITS_PER_BLOCK * 10);
    const many = craftJpeg({
      width: 64,
      height: 32,
      sampling: [
        [1, 1],
        [4, 2],
        [1, 1],
      ],
      level: levels,
      acScans: 300,
    });
    expect(problemOf(() => decode(many))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(`more than ${MAX_SCANS} scans`),
    });
  });

  it('refuses scans that visit the blocks too often, and thousands of segments', () => {
    const busy = (acScans: number) =>
      craftJpeg({ width: 64, height: 64, sampling: [[1, 1]], level: levels, acScans });
    expect(decode(busy(MAX_VISITS_PER_BLOCK - 1)).data.every((v) => v === 128)).toBe(true);
    expect(problemOf(() => decode(busy(MAX_VISITS_PER_BLOCK)))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(`visit more than ${MAX_VISITS_PER_BLOCK} times the 64 blocks`),
    });
    const small = craftJpeg({ width: 8, height: 8, sampling: [[1, 1]], level: levels });
    const comments = new Array(3000).fill([0xff, 0xfe, 0, 2]).flat();
    const padded = new Uint8Array([
      ...small.subarray(0, 2),
      ...small.subarray(2, small.length - 2),
      ...comments,
      0xff,
      0xd9,
    ]);
    expect(problemOf(() => decode(padded))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/marker segments/),
    });
  });

  it('refuses invalid and undefined Huffman tables', () => {
    const bytes = craftJpeg({ width: 8, height: 8, sampling: [[1, 1]], level: levels });
    const dht = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc4);
    // 12 four-bit codes -> 17 overflow the 15 available (the all-ones code is reserved).
    expect(problemOf(() => decode(bytes.map((b, i) => (i === dht + 8 ? 17 : b))))).toMatchObject({
      status: 400,
    });
    expect(problemOf(() => decode(bytes.map((b, i) => (i === dht + 4 ? 0x02 : b))))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/never defined/),
    });
  });

  it('answers 400 at every cut of a truncated file (baseline tolerates only a missing EOI)', async () => {
    for (const progressive of [false, true]) {
      const bytes = await encode(40, 30, { progressive });
      const whole = decode(bytes).data;
      for (let cut = 2; cut < bytes.length; cut++) {
        if (!progressive && cut >= bytes.length - 2)
          expect(decode(bytes.subarray(0, cut)).data).toEqual(whole);
        else
          expect(
            problemOf(() => decode(bytes.subarray(0, cut))).status,
            `cut at ${cut} of ${bytes.length}`,
          ).toBe(400);
      }
    }
  });

  it('answers corrupt bytes with a Problem (400, 413 or 415) or an image of the declared size, never another error', async () => {
    const files = [
      await encode(48, 40, {}),
      await encode(48, 40, { progressive: true }),
      craftJpeg({
        width: 40,
        height: 24,
        sampling: YCBCR_420,
        level: () => 90,
        restartInterval: 2,
      }),
    ];
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (which, edits, small) => {
          const bytes = files[which]!.slice();
          for (const [at, value] of edits) bytes[2 + (at % (bytes.length - 2))] = value;
          try {
            const header = readJpegHeader(bytes);
            const image = decodeJpeg(bytes, header, small ? 1 : LONG_SIDE);
            expect(image.data.length).toBe(image.width * image.height);
          } catch (error) {
            if (!(error instanceof Problem) || ![400, 413, 415].includes(error.status)) throw error;
          }
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
  });
});
