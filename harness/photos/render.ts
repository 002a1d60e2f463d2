/**
 * Renders a Fashion-MNIST test garment as a photograph taken under one lighting condition, in plain
 * float math (deterministic everywhere): the 28x28 image, read as ink density (0 = none, 255 = the
 * garment's full colour), is upscaled bicubically to the garment's size, painted over a background
 * colour, lit by an illumination field (gradient, vignetting), and given sensor noise. sharp then
 * encodes the RGB pixels the way a camera or a shop's CMS would (JPEG 4:2:0 or PNG, EXIF orientation).
 */
import sharp from 'sharp';
import { random } from '../random.ts';

/** An sRGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** How one photo is taken. Sizes are of the upright (displayed) picture. */
export interface Condition {
  name: string;
  width: number;
  height: number;
  /** Colour of the backdrop under full light. */
  background: Rgb;
  /** Colour of the garment where the data set image is 255 (fully "inked"). */
  garment: Rgb;
  /** Garment's long side over the frame's short side. */
  size: number;
  /** Fraction of full light lost across the frame, in a direction chosen per photo. */
  gradient?: number;
  /** Fraction of full light lost in the corners, growing with the squared distance from the centre. */
  vignette?: number;
  /** Standard deviation of Gaussian sensor noise, in grey levels per channel. */
  noise?: number;
  /** Place the garment flush against one side of the frame (chosen per photo). */
  touchEdge?: boolean;
  format: 'jpeg' | 'png' | 'webp';
  /** JPEG or WebP quality (default 85). */
  quality?: number;
  /** Store the pixels turned and tag the EXIF orientation that turns them upright (6 or 8). */
  exifRotate?: boolean;
}

/** Standard normal samples (Box-Muller) from a uniform source. */
function gaussian(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Catmull-Rom weight of a tap at distance `d` (in source pixels) from the sample. */
function catmullRom(d: number): number {
  const a = Math.abs(d);
  if (a < 1) return 1.5 * a * a * a - 2.5 * a * a + 1;
  if (a < 2) return -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2;
  return 0;
}

/**
 * Bicubic interpolation weights along one axis: for each of `count` photo pixels, the weight of each
 * of the 28 data set pixels (outside the image counts as background, ink 0). `origin` is where data
 * set coordinate 0 lies in photo pixels, `scale` photo pixels per data set pixel.
 */
function axisWeights(count: number, origin: number, scale: number): Float64Array {
  const weights = new Float64Array(count * 28);
  for (let p = 0; p < count; p++) {
    const u = (p + 0.5 - origin) / scale - 0.5; // in data set pixel centres
    for (let k = Math.max(0, Math.floor(u) - 1); k <= Math.min(27, Math.floor(u) + 2); k++)
      weights[p * 28 + k] = catmullRom(u - k);
  }
  return weights;
}

/** The data set image upscaled to width x height photo pixels as ink density 0..1 (bicubic, clamped). */
function inkField(
  image: Uint8Array,
  width: number,
  height: number,
  left: number,
  top: number,
  scale: number,
): Float64Array {
  const wx = axisWeights(width, left, scale);
  const wy = axisWeights(height, top, scale);
  const rows = new Float64Array(28 * width); // each data set row interpolated across the photo's columns
  for (let k = 0; k < 28; k++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = 0; i < 28; i++) sum += wx[x * 28 + i]! * image[k * 28 + i]!;
      rows[k * width + x] = sum;
    }
  }
  const ink = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < 28; k++) {
      const w = wy[y * 28 + k]!;
      if (w === 0) continue;
      for (let x = 0; x < width; x++) ink[y * width + x]! += w * rows[k * width + x]!;
    }
  }
  return ink.map((v) => Math.min(1, Math.max(0, v / 255)));
}

/** The bounding box of the garment's non-zero pixels in the 28x28 image. */
function inkBox(image: Uint8Array): { x0: number; y0: number; x1: number; y1: number } {
  let [x0, y0, x1, y1] = [28, 28, -1, -1];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (!image[y * 28 + x]) continue;
      [x0, y0, x1, y1] = [
        Math.min(x0, x),
        Math.min(y0, y),
        Math.max(x1, x + 1),
        Math.max(y1, y + 1),
      ];
    }
  }
  return { x0, y0, x1, y1 };
}

/** The upright photo as RGB bytes (width x height x 3) for data set image `image`; `seed` picks placement, light direction and noise. */
export function renderRgb(image: Uint8Array, condition: Condition, seed: number): Uint8Array {
  const { width, height, background, garment } = condition;
  const next = random(seed);
  const normal = gaussian(next);
  const scale = (condition.size * Math.min(width, height)) / 28; // photo pixels per data set pixel
  const box = inkBox(image);
  const boxWidth = (box.x1 - box.x0) * scale;
  const boxHeight = (box.y1 - box.y0) * scale;
  // Where the garment's box goes: anywhere it fits, or flush against one side.
  let left = next() * Math.max(0, width - boxWidth);
  let top = next() * Math.max(0, height - boxHeight);
  if (condition.touchEdge) {
    const side = Math.floor(next() * 4);
    if (side === 0) left = 0;
    else if (side === 1) left = width - boxWidth;
    else if (side === 2) top = 0;
    else top = height - boxHeight;
  }
  const ink = inkField(image, width, height, left - box.x0 * scale, top - box.y0 * scale, scale);
  // Light = (1 - gradient * distance along the light's direction) * (1 - vignette * squared distance
  // from the centre), both separable into a column part and a row part.
  const angle = next() * 2 * Math.PI;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const reach = Math.abs(dx) * width + Math.abs(dy) * height;
  const corner2 = (width / 2) ** 2 + (height / 2) ** 2;
  const along = (p: number, size: number, d: number) =>
    ((d < 0 ? size - p - 0.5 : p + 0.5) * Math.abs(d)) / reach;
  const alongX = Float64Array.from({ length: width }, (_, x) => along(x, width, dx));
  const alongY = Float64Array.from({ length: height }, (_, y) => along(y, height, dy));
  const radiusX = Float64Array.from(
    { length: width },
    (_, x) => (x + 0.5 - width / 2) ** 2 / corner2,
  );
  const radiusY = Float64Array.from(
    { length: height },
    (_, y) => (y + 0.5 - height / 2) ** 2 / corner2,
  );
  const gradient = condition.gradient ?? 0;
  const vignette = condition.vignette ?? 0;
  const noise = condition.noise ?? 0;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const light =
        (1 - gradient * (alongX[x]! + alongY[y]!)) * (1 - vignette * (radiusX[x]! + radiusY[y]!));
      const a = ink[p]!;
      for (let c = 0; c < 3; c++) {
        const reflected = (background[c]! * (1 - a) + garment[c]! * a) * light;
        rgb[p * 3 + c] = Math.min(
          255,
          Math.max(0, Math.round(noise ? reflected + noise * normal() : reflected)),
        );
      }
    }
  }
  return rgb;
}

/**
 * Turns an upright RGB picture a quarter turn, returning what a camera held sideways stores and the
 * EXIF orientation that turns it back: 6 (display = stored turned clockwise) or 8 (anticlockwise).
 */
function storeSideways(
  rgb: Uint8Array,
  width: number,
  height: number,
  orientation: 6 | 8,
): Uint8Array {
  const stored = new Uint8Array(rgb.length); // height x width: `height` columns, `width` rows
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = orientation === 6 ? [y, width - 1 - x] : [height - 1 - y, x];
      stored.set(
        rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
        (sy * height + sx) * 3,
      );
    }
  }
  return stored;
}

/** The encoded photo (JPEG or PNG bytes) of data set image `image` under `condition`. */
export async function renderPhoto(
  image: Uint8Array,
  condition: Condition,
  seed: number,
): Promise<Uint8Array> {
  const { width, height } = condition;
  let rgb = renderRgb(image, condition, seed);
  let raw = { width, height, channels: 3 as const };
  let orientation = 1;
  if (condition.exifRotate) {
    orientation = seed % 2 ? 6 : 8;
    rgb = storeSideways(rgb, width, height, orientation as 6 | 8);
    raw = { width: height, height: width, channels: 3 };
  }
  let pipeline = sharp(rgb, { raw });
  if (orientation !== 1) pipeline = pipeline.withMetadata({ orientation });
  const quality = condition.quality ?? 85;
  pipeline =
    condition.format === 'png'
      ? pipeline.png()
      : condition.format === 'webp'
        ? pipeline.webp({ quality })
        : pipeline.jpeg({ quality, chromaSubsampling: '4:2:0' });
  return new Uint8Array(await pipeline.toBuffer());
}
