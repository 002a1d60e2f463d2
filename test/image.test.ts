/**
 * The image input pipeline (worker/image/): header sniffing, limits, decoding every PNG flavour and
 * JPEG, and the Fashion-MNIST-style conversion, checked against the real Fashion-MNIST test images.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync, gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { encode as encodePng, type ImageData as PngImageData } from 'fast-png';
import jpeg from 'jpeg-js';
import { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';
import { Problem } from '../worker/http/problem.ts';
import { pixelsOf } from './image/pipeline.ts';
import { chunk, concat, SIGNATURE } from '../harness/image/png-fixtures.ts';
import { problemOf, problemOfAsync } from './problem-of.ts';
import { random } from '../harness/random.ts';
import { orient } from '../worker/image/orientation.ts';
import { sniffImage } from '../worker/image/sniff.ts';

// ---- Fashion-MNIST test images: 16-byte IDX header, then 10000 images of 28x28 bytes. ----
const idx = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
const COUNT = idx.readUInt32BE(4);
const dataset = (i: number): Uint8Array =>
  new Uint8Array(idx.buffer, idx.byteOffset + 16 + i * 784, 784);

// ---- helpers ----

/** A PNG made of a valid IHDR (with valid CRC), the given IDAT payload (if any), and IEND. */
function craftPng(width: number, height: number, colorType: number, idat?: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return concat(
    SIGNATURE,
    chunk('IHDR', ihdr),
    ...(idat ? [chunk('IDAT', idat)] : []),
    chunk('IEND', new Uint8Array()),
  );
}

/** Re-encodes a PNG's single IDAT chunk as many IDAT chunks of `size` bytes, as libpng does at 8 kB. */
function splitIdat(png: Uint8Array, size: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const at = png.findIndex(
    (_, i) =>
      png[i + 4] === 0x49 && png[i + 5] === 0x44 && png[i + 6] === 0x41 && png[i + 7] === 0x54,
  ); // "IDAT"
  const data = png.subarray(at + 8, at + 8 + view.getUint32(at));
  const pieces = Array.from({ length: Math.ceil(data.length / size) }, (_, k) =>
    chunk('IDAT', data.subarray(k * size, (k + 1) * size)),
  );
  return concat(png.subarray(0, at), ...pieces, png.subarray(at + 12 + data.length));
}

/** Inserts a chunk right after IHDR of an existing PNG. */
function withChunkAfterIhdr(png: Uint8Array, extra: Uint8Array): Uint8Array {
  return concat(png.subarray(0, 33), extra, png.subarray(33));
}

/** A JPEG APP1 segment holding EXIF with just an Orientation tag, in either TIFF byte order. */
function exifSegment(orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new DataView(new ArrayBuffer(26));
  tiff.setUint16(0, littleEndian ? 0x4949 : 0x4d4d);
  tiff.setUint16(2, 42, littleEndian);
  tiff.setUint32(4, 8, littleEndian); // IFD0 right after the header
  tiff.setUint16(8, 1, littleEndian); // one entry: Orientation, SHORT, count 1
  tiff.setUint16(10, 0x0112, littleEndian);
  tiff.setUint16(12, 3, littleEndian);
  tiff.setUint32(14, 1, littleEndian);
  tiff.setUint16(18, orientation, littleEndian);
  const payload = concat(new TextEncoder().encode('Exif\0\0'), new Uint8Array(tiff.buffer));
  return concat(
    new Uint8Array([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]),
    payload,
  );
}

const gray28 = (data: Uint8Array): PngImageData => ({
  width: 28,
  height: 28,
  data,
  channels: 1,
  depth: 8,
});
const encodeJpeg = (width: number, height: number, rgba: Uint8Array, quality = 90) =>
  new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);

/**
 * A "shop photo" of data set image `src`: negated (dark garment on white), scaled to an object x
 * object square placed at (left, top) on a white width x height RGBA canvas. 'sharp' replicates
 * pixels (hard edges, like a crisp product photo); 'smooth' interpolates bilinearly (soft edges).
 */
function shopPhoto(
  src: Uint8Array,
  width: number,
  height: number,
  object: number,
  left: number,
  top: number,
  edges: 'sharp' | 'smooth',
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const s = object / 28;
  const at = (x: number, y: number) => src[Math.min(27, y) * 28 + Math.min(27, x)]!;
  for (let y = 0; y < object; y++) {
    for (let x = 0; x < object; x++) {
      let v: number;
      if (edges === 'sharp') v = at(Math.floor(x / s), Math.floor(y / s));
      else {
        const fx = Math.max(0, (x + 0.5) / s - 0.5);
        const fy = Math.max(0, (y + 0.5) / s - 0.5);
        const [x0, y0, ax, ay] = [Math.floor(fx), Math.floor(fy), fx % 1, fy % 1];
        v =
          (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) +
          ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
      }
      const p = ((top + y) * width + left + x) * 4;
      rgba[p] = rgba[p + 1] = rgba[p + 2] = Math.round(255 - v);
    }
  }
  return rgba;
}

const rgbaToRgb = (rgba: Uint8Array) => rgba.filter((_, i) => i % 4 !== 3);

/** Mean absolute difference and Pearson correlation of two 784-pixel images. */
function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { mad: number; r: number } {
  const n = expected.length;
  let mad = 0,
    sa = 0,
    se = 0,
    saa = 0,
    see = 0,
    sae = 0;
  for (let i = 0; i < n; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    mad += Math.abs(a - e);
    ((sa += a), (se += e), (saa += a * a), (see += e * e), (sae += a * e));
  }
  const r = (n * sae - sa * se) / Math.sqrt((n * saa - sa * sa) * (n * see - se * se));
  return { mad: mad / n, r };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

// ---- tests ----

describe('real Fashion-MNIST images as 28x28 PNG', () => {
  it('pass through bit-exactly, all 10000 test images', async () => {
    expect(COUNT).toBe(10000);
    for (let i = 0; i < COUNT; i++) {
      const pixels = await pixelsOf(encodePng(gray28(dataset(i))), 'image/png');
      if (!pixels.every((v, k) => v === dataset(i)[k])) throw new Error(`image ${i} changed`);
    }
  });

  it('pass through bit-exactly as 16-bit, palette, Adam7-interlaced and multi-IDAT PNG', async () => {
    const palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);
    for (let i = 0; i < 100; i++) {
      const img = dataset(i);
      const variants = [
        encodePng({
          width: 28,
          height: 28,
          data: Uint16Array.from(img, (v) => v * 257),
          channels: 1,
          depth: 16,
        }),
        encodePng({ width: 28, height: 28, data: img, channels: 1, depth: 8, palette }),
        encodePng(gray28(img), { interlace: 'Adam7' }),
        splitIdat(encodePng(gray28(img)), 7),
      ];
      for (const png of variants) expect(await pixelsOf(png)).toEqual(Float32Array.from(img));
    }
  });
});

describe('shop photos (negated data set images, scaled up on white) come back close to the originals', () => {
  // Fewer JPEGs: jpeg-js encoding in the test itself dominates the run time.
  const count = { png: 200, jpeg: 100 };
  const cases = [
    { edges: 'sharp', width: 150, height: 200, object: 140 },
    { edges: 'sharp', width: 224, height: 224, object: 200 },
    { edges: 'smooth', width: 224, height: 224, object: 200 },
  ] as const;
  // Thresholds sit a little above what was measured (see the logged figures). 'smooth' is limited by
  // the simulation itself: bilinear upscaling followed by exact 8x area averaging, with no trimming
  // at all, already differs by 6.3 grey levels on average.
  const bounds = { sharp: { mad: 3.5, r: 0.985 }, smooth: { mad: 14, r: 0.93 } };

  for (const c of cases) {
    for (const format of ['png', 'jpeg'] as const) {
      it(`${c.edges} edges, ${c.object}px garment on a ${c.width}x${c.height} ${format.toUpperCase()}`, async () => {
        const mads: number[] = [];
        const rs: number[] = [];
        for (let i = 0; i < count[format]; i++) {
          // Off-centre on purpose: the conversion has to find and centre the garment.
          const rgba = shopPhoto(
            dataset(i),
            c.width,
            c.height,
            c.object,
            Math.floor((c.width - c.object) / 3),
            Math.floor((c.height - c.object) / 2),
            c.edges,
          );
          const bytes =
            format === 'png'
              ? encodePng({
                  width: c.width,
                  height: c.height,
                  data: rgbaToRgb(rgba),
                  channels: 3,
                  depth: 8,
                })
              : encodeJpeg(c.width, c.height, rgba);
          const { mad, r } = compare(await pixelsOf(bytes, `image/${format}`), dataset(i));
          mads.push(mad);
          rs.push(r);
        }
        console.info(
          `${c.edges} ${c.width}x${c.height} ${format}: MAD mean ${mean(mads).toFixed(2)} median ${quantile(mads, 0.5).toFixed(2)} p95 ${quantile(mads, 0.95).toFixed(2)}; r mean ${mean(rs).toFixed(4)} median ${quantile(rs, 0.5).toFixed(4)} p5 ${quantile(rs, 0.05).toFixed(4)}`,
        );
        expect(mean(mads)).toBeLessThan(bounds[c.edges].mad);
        expect(mean(rs)).toBeGreaterThan(bounds[c.edges].r);
      });
    }
  }

  it('a large 600x800 JPEG', async () => {
    const rs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const rgba = shopPhoto(dataset(i), 600, 800, 560, 10, 150, 'sharp');
      rs.push(compare(await pixelsOf(encodeJpeg(600, 800, rgba)), dataset(i)).r);
    }
    expect(mean(rs)).toBeGreaterThan(0.985);
  });
});

describe('PNG colour types and bit depths all decode to the same picture', () => {
  // A 56x56 shop photo of a data set image, quantised to 16 grey levels so that 4-bit formats can hold it exactly.
  const rgba = shopPhoto(dataset(7), 56, 56, 42, 5, 7, 'sharp').map((v, i) =>
    i % 4 === 3 ? v : Math.round(v / 17) * 17,
  );
  const gray = rgba.filter((_, i) => i % 4 === 0);
  const expected = pixelsOf(
    encodePng({ width: 56, height: 56, data: gray, channels: 1, depth: 8 }),
  );
  const pack = (values: Uint8Array, depth: number) => {
    const rowBytes = Math.ceil((56 * depth) / 8);
    const out = new Uint8Array(rowBytes * 56);
    values.forEach((v, i) => {
      const [y, x] = [Math.floor(i / 56), i % 56];
      out[y * rowBytes + ((x * depth) >> 3)]! |= v << (8 - depth - ((x * depth) & 7));
    });
    return out;
  };
  const levels = [...new Set(gray)].sort((a, b) => a - b);
  const variants: Record<string, PngImageData> = {
    'gray 16-bit': {
      width: 56,
      height: 56,
      data: Uint16Array.from(gray, (v) => v * 257),
      channels: 1,
      depth: 16,
    },
    'gray 4-bit': {
      width: 56,
      height: 56,
      data: pack(
        gray.map((v) => v / 17),
        4,
      ),
      channels: 1,
      depth: 4,
    },
    'gray+alpha 8-bit': {
      width: 56,
      height: 56,
      data: Uint8Array.from({ length: 56 * 56 * 2 }, (_, i) => (i % 2 ? 255 : gray[i / 2]!)),
      channels: 2,
      depth: 8,
    },
    'rgb 8-bit': { width: 56, height: 56, data: rgbaToRgb(rgba), channels: 3, depth: 8 },
    'rgb 16-bit': {
      width: 56,
      height: 56,
      data: Uint16Array.from(rgbaToRgb(rgba), (v) => v * 257),
      channels: 3,
      depth: 16,
    },
    'rgba 8-bit': { width: 56, height: 56, data: rgba, channels: 4, depth: 8 },
    'rgba 16-bit': {
      width: 56,
      height: 56,
      data: Uint16Array.from(rgba, (v) => v * 257),
      channels: 4,
      depth: 16,
    },
    'palette 8-bit': {
      width: 56,
      height: 56,
      data: gray.map((v) => levels.indexOf(v)),
      channels: 1,
      depth: 8,
      palette: levels.map((v) => [v, v, v]),
    },
    'palette 4-bit': {
      width: 56,
      height: 56,
      data: pack(
        gray.map((v) => levels.indexOf(v)),
        4,
      ),
      channels: 1,
      depth: 4,
      palette: levels.map((v) => [v, v, v]),
    },
  };
  for (const [name, image] of Object.entries(variants)) {
    it(name, async () => {
      expect(levels.length).toBeLessThanOrEqual(16);
      expect(await pixelsOf(encodePng(image), 'image/png')).toEqual(await expected);
    });
  }

  it('1-bit and 2-bit gray scale to 0..255', async () => {
    const bits = gray.map((v) => (v > 127 ? 1 : 0));
    const reference = await pixelsOf(
      encodePng({ width: 56, height: 56, data: bits.map((b) => b * 255), channels: 1, depth: 8 }),
    );
    expect(
      await pixelsOf(
        encodePng({ width: 56, height: 56, data: pack(bits, 1), channels: 1, depth: 1 }),
      ),
    ).toEqual(reference);
    expect(
      await pixelsOf(
        encodePng({
          width: 56,
          height: 56,
          data: pack(
            bits.map((b) => b * 3),
            2,
          ),
          channels: 1,
          depth: 2,
        }),
      ),
    ).toEqual(reference);
  });

  it('palette with transparency (tRNS) and an RGB colour key are composited over white', async () => {
    // Palette entry 0 is a fully transparent black: the background.
    const indexed: PngImageData = {
      width: 56,
      height: 56,
      data: gray.map((v) => (v === 255 ? 0 : levels.indexOf(v) + 1)),
      channels: 1,
      depth: 8,
      palette: [[0, 0, 0, 0], ...levels.map((v) => [v, v, v, 255])],
    };
    expect(await pixelsOf(encodePng(indexed))).toEqual(await expected);
    // RGB with a tRNS colour key: the background is painted (1, 2, 3) and declared transparent.
    const keyed = rgbaToRgb(
      rgba.map((v, i) => (rgba[i - (i % 4)] === 255 ? [1, 2, 3, 255][i % 4]! : v)),
    );
    const trns = chunk('tRNS', new Uint8Array([0, 1, 0, 2, 0, 3]));
    const png = withChunkAfterIhdr(
      encodePng({ width: 56, height: 56, data: keyed, channels: 3, depth: 8 }),
      trns,
    );
    expect(await pixelsOf(png)).toEqual(await expected);
  });
});

describe('conversion', () => {
  it('a transparent cut-out behaves exactly like the same garment on white', async () => {
    for (let i = 0; i < 20; i++) {
      const onWhite = shopPhoto(dataset(i), 100, 120, 84, 8, 20, 'sharp');
      // Same garment, but the white background is fully transparent (and black underneath).
      const cutOut = onWhite.map((v, k) =>
        onWhite[k - (k % 4)] === 255 &&
        onWhite[k - (k % 4) + 1] === 255 &&
        onWhite[k - (k % 4) + 2] === 255
          ? 0
          : v,
      );
      const expected = await pixelsOf(
        encodePng({ width: 100, height: 120, data: onWhite, channels: 4, depth: 8 }),
      );
      expect(
        await pixelsOf(encodePng({ width: 100, height: 120, data: cutOut, channels: 4, depth: 8 })),
      ).toEqual(expected);
    }
  });

  it('uses BT.601 luma and negates a light background', async () => {
    // A pure red square beside a black one on white: red's luma is 0.299 * 255 = 76, negated 179,
    // and black's negated 255 is the garment's strongest contrast, so no stretching is needed.
    const rgba = new Uint8Array(60 * 40 * 4).fill(255);
    for (let y = 10; y < 30; y++)
      for (let x = 10; x < 50; x++)
        rgba.set(x < 30 ? [255, 0, 0, 255] : [0, 0, 0, 255], (y * 60 + x) * 4);
    const pixels = await pixelsOf(
      encodePng({ width: 60, height: 40, data: rgba, channels: 4, depth: 8 }),
    );
    // The trimmed 40x20 object becomes 28x14 in rows 7..20: red in columns 0..13, black in 14..27.
    for (let x = 0; x < 28; x++)
      expect(pixels[12 * 28 + x], `column ${x}`).toBe(x < 14 ? 179 : 255);
  });

  it('maps an off-white background to 0 and keeps the aspect ratio, centred', async () => {
    // Two black 10x40 bars 10 apart on a 235 grey canvas: the 30x40 object becomes 21x28, so bars
    // and gap are 7 columns each, starting at column 4 (the spare pixel goes left, like the data set).
    const data = new Uint8Array(60 * 60).fill(235);
    for (let y = 10; y < 50; y++)
      (data.fill(0, y * 60 + 15, y * 60 + 25), data.fill(0, y * 60 + 35, y * 60 + 45));
    const pixels = await pixelsOf(
      encodePng({ width: 60, height: 60, data, channels: 1, depth: 8 }),
    );
    const bar = (x: number) => (x >= 4 && x < 11) || (x >= 18 && x < 25);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++)
        expect(pixels[y * 28 + x], `(${x}, ${y})`).toBe(bar(x) ? 255 : 0);
    }
  });

  it('trims, resizes and centres a dark-background image without negating it', async () => {
    // Data set image 0 at 3x on a black 100x100 canvas: a light garment on dark, like the data set.
    const img = dataset(0);
    const data = new Uint8Array(100 * 100);
    for (let y = 0; y < 84; y++)
      for (let x = 0; x < 84; x++)
        data[(y + 5) * 100 + x + 11] = img[Math.floor(y / 3) * 28 + Math.floor(x / 3)]!;
    const { r } = compare(
      await pixelsOf(encodePng({ width: 100, height: 100, data, channels: 1, depth: 8 })),
      img,
    );
    expect(r).toBeGreaterThan(0.99);
  });

  it('a 28x28 image with a light background is converted, not passed through', async () => {
    const img = dataset(1);
    const pixels = await pixelsOf(encodePng(gray28(img.map((v) => 255 - v))));
    expect(compare(pixels, img).r).toBeGreaterThan(0.97);
  });

  it('averages areas when shrinking: 1-pixel stripes become an even grey, not aliased stripes', async () => {
    // 280x280 of alternating black and white columns beside a solid black 280x280 block, inside a
    // white frame; nearest-neighbour would pick all-black or all-white columns, area averaging
    // gives half the block's 255 everywhere in the striped half. The outermost rows and columns are
    // left out: there the decoder's 4x4 area sums straddle the object's edge, as any area filter's would.
    const data = new Uint8Array(580 * 300).fill(255);
    for (let y = 10; y < 290; y++)
      for (let x = 10; x < 570; x += x < 290 ? 2 : 1) data[y * 580 + x] = 0;
    const pixels = await pixelsOf(
      encodePng({ width: 580, height: 300, data, channels: 1, depth: 8 }),
    );
    for (let y = 8; y < 20; y++) {
      for (let x = 1; x < 13; x++)
        expect(Math.abs(pixels[y * 28 + x]! - 127.5), `(${x}, ${y})`).toBeLessThan(5);
      for (let x = 15; x < 27; x++) expect(pixels[y * 28 + x], `(${x}, ${y})`).toBe(255);
    }
  });

  it('fits the background robustly, so a dark object cut by the frame in one corner neither fools it nor counts as the garment', async () => {
    const clean = shopPhoto(dataset(1), 80, 80, 70, 10, 10, 'sharp');
    // A dark block in the top-left corner: the top-left pixel alone would call the background dark,
    // and the white background would become a light object filling the canvas.
    const blocked = clean.slice();
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 20; x++) blocked.fill(20, (y * 80 + x) * 4, (y * 80 + x) * 4 + 3);
    const encode = (data: Uint8Array) =>
      encodePng({ width: 80, height: 80, data, channels: 4, depth: 8 });
    expect(
      compare(await pixelsOf(encode(blocked)), await pixelsOf(encode(clean))).r,
    ).toBeGreaterThan(0.99);
  });

  it('ignores near-background specks (within 5%) when trimming, like the data set did', async () => {
    const img = dataset(4);
    const clean = shopPhoto(img, 100, 100, 56, 22, 22, 'sharp');
    const specked = clean.slice();
    specked.fill(245, (3 * 100 + 95) * 4, (3 * 100 + 95) * 4 + 3); // a faint mark far from the garment
    const encode = (data: Uint8Array) =>
      encodePng({ width: 100, height: 100, data, channels: 4, depth: 8 });
    expect(await pixelsOf(encode(specked))).toEqual(await pixelsOf(encode(clean)));
  });

  it('an image of nothing but background is refused with 422', async () => {
    const problem = await problemOfAsync(
      pixelsOf(
        encodePng({
          width: 50,
          height: 30,
          data: new Uint8Array(1500).fill(250),
          channels: 1,
          depth: 8,
        }),
      ),
    );
    expect(problem).toMatchObject({ status: 422, title: 'Unprocessable Content' });
  });
});

describe('headers', () => {
  it('reads PNG width, height, bit depth and colour type without decoding', async () => {
    const png = encodePng(
      { width: 37, height: 53, data: new Uint16Array(37 * 53 * 4), channels: 4, depth: 16 },
      { interlace: 'Adam7' },
    );
    expect(sniffImage(png)).toMatchObject({
      type: 'image/png',
      width: 37,
      height: 53,
      bitDepth: 16,
      colorType: 'rgba',
      interlaced: true,
      orientation: 1,
    });
    const paletted = encodePng({
      width: 9,
      height: 2,
      data: new Uint8Array(18),
      channels: 1,
      depth: 8,
      palette: [[1, 2, 3]],
    });
    expect(sniffImage(paletted)).toMatchObject({
      width: 9,
      height: 2,
      bitDepth: 8,
      colorType: 'palette',
      interlaced: false,
    });
  });

  it('reads JPEG width, height and components from SOF0, after APPn, COM and fill bytes', async () => {
    const jpg = encodeJpeg(123, 45, shopPhoto(dataset(0), 123, 45, 40, 10, 2, 'sharp'));
    expect(sniffImage(jpg)).toMatchObject({
      type: 'image/jpeg',
      width: 123,
      height: 45,
      orientation: 1,
      progressive: false,
      components: [{ id: 1 }, { id: 2 }, { id: 3 }],
    });
    const exif = new Uint8Array([0xff, 0xe1, 0x00, 0x0a, 0x45, 0x78, 0x69, 0x66, 0, 0, 1, 2]);
    const comment = new Uint8Array([0xff, 0xfe, 0x00, 0x05, 0x68, 0x69, 0x21]);
    const padded = concat(
      jpg.subarray(0, 2),
      exif,
      comment,
      new Uint8Array([0xff, 0xff]),
      jpg.subarray(2),
    );
    expect(sniffImage(padded)).toMatchObject({ width: 123, height: 45 });
    expect(await pixelsOf(padded, 'image/jpeg')).toHaveLength(784);
  });

  it('reads a progressive (SOF2) header and refuses lossless, arithmetic and 12-bit JPEG with 415', async () => {
    const jpg = encodeJpeg(20, 10, new Uint8Array(800).fill(0));
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    const patched = (at: number, value: number) => jpg.map((b, i) => (i === at ? value : b));
    expect(sniffImage(patched(sof + 1, 0xc2))).toMatchObject({ width: 20, height: 10 });
    for (const marker of [0xc3, 0xc9])
      expect((await problemOfAsync(pixelsOf(patched(sof + 1, marker)))).status).toBe(415);
    expect((await problemOfAsync(pixelsOf(patched(sof + 4, 12)))).detail).toMatch(/12-bit/);
  });
});

describe('EXIF orientation', () => {
  it('turns a stored raster upright for all eight orientations', async () => {
    // Stored 3x2 "1 2 3 / 4 5 6"; expected display per the EXIF definition of each value.
    const stored = { width: 3, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const expected: Record<number, [number, number, number[]]> = {
      1: [3, 2, [1, 2, 3, 4, 5, 6]],
      2: [3, 2, [3, 2, 1, 6, 5, 4]],
      3: [3, 2, [6, 5, 4, 3, 2, 1]],
      4: [3, 2, [4, 5, 6, 1, 2, 3]],
      5: [2, 3, [1, 4, 2, 5, 3, 6]],
      6: [2, 3, [4, 1, 5, 2, 6, 3]],
      7: [2, 3, [6, 3, 5, 2, 4, 1]],
      8: [2, 3, [3, 6, 2, 5, 1, 4]],
    };
    for (const [orientation, [width, height, data]] of Object.entries(expected)) {
      expect(orient(stored, Number(orientation)), `orientation ${orientation}`).toEqual({
        width,
        height,
        data: Uint8Array.from(data),
      });
    }
  });

  it('a sideways phone JPEG with an orientation tag classifies like the upright photo', async () => {
    const upright = shopPhoto(dataset(9), 120, 160, 112, 4, 24, 'sharp');
    // Store it turned 90 degrees counter-clockwise (160x120), as a camera held upright would.
    const sideways = new Uint8Array(upright.length);
    for (let y = 0; y < 160; y++) {
      for (let x = 0; x < 120; x++)
        sideways.set(
          upright.subarray((y * 120 + x) * 4, (y * 120 + x) * 4 + 4),
          ((119 - x) * 160 + y) * 4,
        );
    }
    const reference = await pixelsOf(encodeJpeg(120, 160, upright));
    const stored = encodeJpeg(160, 120, sideways);
    const tagged = (orientation: number, little: boolean) =>
      concat(stored.subarray(0, 2), exifSegment(orientation, little), stored.subarray(2));
    expect(sniffImage(tagged(6, false))).toMatchObject({ width: 160, height: 120, orientation: 6 });
    expect(compare(await pixelsOf(tagged(6, false)), reference).r).toBeGreaterThan(0.99);
    expect(compare(await pixelsOf(tagged(6, true)), reference).r).toBeGreaterThan(0.99);
    expect(compare(await pixelsOf(stored), reference).r).toBeLessThan(0.8); // untagged: lying on its side
  });

  it('ignores invalid or broken EXIF instead of refusing the image', async () => {
    const jpg = encodeJpeg(30, 20, shopPhoto(dataset(0), 30, 20, 18, 6, 1, 'sharp'));
    const broken = exifSegment(6, true);
    broken[14] = 0xff; // IFD0 offset far beyond the segment
    for (const segment of [exifSegment(9, true), broken]) {
      const bytes = concat(jpg.subarray(0, 2), segment, jpg.subarray(2));
      expect(sniffImage(bytes).orientation).toBe(1);
      expect(await pixelsOf(bytes)).toHaveLength(784);
    }
  });
});

describe('limits', () => {
  it('rejects a PNG declaring 100000x100000 with 413 from the header alone', async () => {
    // No image data at all: were it decoded, this would be a 400, not a 413.
    const bomb = craftPng(100_000, 100_000, 2);
    const problem = await problemOfAsync(pixelsOf(bomb, 'image/png'));
    expect(problem).toMatchObject({ status: 413, title: 'Content Too Large' });
    expect(problem.detail).toMatch(/100000x100000 pixels .* the limit is/);
  });

  it('rejects a JPEG whose frame header is over the limit with 413, and accepts exactly the limit', async () => {
    const jpg = encodeJpeg(64, 48, shopPhoto(dataset(0), 64, 48, 40, 12, 4, 'sharp'));
    expect(
      (await problemOfAsync(pixelsOf(jpg, undefined, { maxSourcePixels: 64 * 48 - 1 }))).status,
    ).toBe(413);
    expect(await pixelsOf(jpg, undefined, { maxSourcePixels: 64 * 48 })).toHaveLength(784);
  });

  it('rejects a zlib bomb (1x1 PNG whose data inflates to 64 MB) with 400, before inflating it all', async () => {
    const idat = deflateSync(new Uint8Array(64 * 2 ** 20), { level: 9 });
    const problem = await problemOfAsync(pixelsOf(craftPng(1, 1, 0, idat)));
    expect(problem.status).toBe(400);
    expect(problem.detail).toMatch(/more than the 2 bytes its header implies/);
  });
});

describe('bad input', () => {
  const png = encodePng(gray28(dataset(0)));
  const jpg = encodeJpeg(50, 60, shopPhoto(dataset(0), 50, 60, 40, 5, 10, 'sharp'));

  it('empty -> 400', async () => {
    expect(await problemOfAsync(pixelsOf(new Uint8Array()))).toMatchObject({
      status: 400,
      title: 'Bad Request',
    });
    expect((await problemOfAsync(pixelsOf(new Uint8Array(), 'image/png'))).status).toBe(400);
  });

  it('random bytes and other formats -> 415 naming what they are', async () => {
    const next = random(1);
    const noise = Uint8Array.from({ length: 1000 }, () => Math.floor(next() * 256));
    expect(await problemOfAsync(pixelsOf(noise))).toMatchObject({
      status: 415,
      title: 'Unsupported Media Type',
    });
    expect(
      (await problemOfAsync(pixelsOf(new TextEncoder().encode('GIF89a....'), 'image/png'))).detail,
    ).toMatch(/GIF/);
  });

  it('mislabelled -> 415 naming the real type', async () => {
    expect(await problemOfAsync(pixelsOf(png, 'image/jpeg'))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/declares image\/jpeg, but the bytes are a PNG image/),
    });
    expect(await problemOfAsync(pixelsOf(jpg, 'image/png'))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/declares image\/png, but the bytes are a JPEG image/),
    });
  });

  it('truncated PNG and JPEG -> 400 at every cut', async () => {
    for (const [name, bytes] of [
      ['png', png],
      ['jpeg', jpg],
    ] as const) {
      // A JPEG cut after its last scan's data (only EOI missing) still holds the whole picture.
      for (
        let length = 1;
        length < bytes.length - (name === 'png' ? 0 : 2);
        length += name === 'png' ? 1 : 7
      ) {
        const problem = await problemOfAsync(pixelsOf(bytes.subarray(0, length)));
        expect(problem.status, `${name} cut to ${length} bytes: ${problem.detail}`).toBe(400);
      }
    }
  });

  it('a flipped bit in PNG image data fails the CRC -> 400', async () => {
    const corrupt = png.slice();
    corrupt[60]! ^= 0x10;
    expect((await problemOfAsync(pixelsOf(corrupt))).status).toBe(400);
  });

  it('random corruption never escapes as anything but a Problem', async () => {
    const next = random(42);
    let decoded = 0;
    for (let run = 0; run < 600; run++) {
      const original = run % 2 ? jpg : png;
      const bytes = original.slice();
      for (let k = 0, n = 1 + Math.floor(next() * 4); k < n; k++)
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      try {
        expect(await pixelsOf(bytes)).toHaveLength(784);
        decoded++;
      } catch (error) {
        if (!(error instanceof Problem) || ![400, 413, 415].includes(error.status)) throw error;
      }
    }
    expect(decoded).toBeGreaterThan(0); // some JPEG corruption is undetectable, and that is fine
  });

  it('works on a view into a larger buffer', async () => {
    const padded = concat(new Uint8Array(13).fill(9), png, new Uint8Array(5));
    expect(await pixelsOf(padded.subarray(13, 13 + png.length))).toEqual(
      Float32Array.from(dataset(0)),
    );
  });
});
