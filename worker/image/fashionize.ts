/**
 * Turns an arbitrary raster into a 28x28 image the way Fashion-MNIST itself was made (Xiao et al.
 * 2017, section 2): trim the background by the corner colour, resize the longest edge to 28, centre
 * on a 28x28 canvas, negate when the background is light, grayscale (done first here). Two
 * deliberate differences from the paper: resizing averages areas instead of skipping rows and columns
 * (skipping aliases badly from large photos), and there is no sharpening step (measured on upscaled
 * test set images: a mild unsharp mask gained under 1 grey level of mean error on soft-edged ones
 * and lost more on sharp-edged ones).
 */
import type { Raster } from './decode.ts';

/** Side of a Fashion-MNIST image. */
const SIZE = 28;

/** The paper trims pixels "close to the colour of the corner pixels": within 5% of the maximum intensity. */
const TRIM_TOLERANCE = 0.05 * 255;

/** Corner luma at or above this means a light background (a shop photo), which gets negated. */
const LIGHT_BACKGROUND = 128;

/**
 * Converts a raster to 784 row-major values in 0..255 (integers, like the data set), light object on
 * a 0 background. A 28x28 image that already has a dark background is returned unchanged.
 */
export function fashionize(raster: Raster): Float32Array {
  const { width, height } = raster;
  const gray = toGray(raster);
  const background = cornerBackground(gray, width, height);
  const light = background >= LIGHT_BACKGROUND;
  if (width === SIZE && height === SIZE && !light) return Float32Array.from(gray);

  const out = new Float32Array(SIZE * SIZE);
  const box = trim(gray, width, height, background);
  if (!box) return out; // nothing but background: a blank canvas
  const scale = SIZE / Math.max(box.width, box.height);
  const targetWidth = Math.max(1, Math.round(box.width * scale));
  const targetHeight = Math.max(1, Math.round(box.height * scale));
  // The data set puts the odd spare pixel before the object (measured on its test set), so round up.
  const left = Math.ceil((SIZE - targetWidth) / 2);
  const top = Math.ceil((SIZE - targetHeight) / 2);
  const resized = resizeArea(gray, width, box, targetWidth, targetHeight, levels(background, light));
  for (let y = 0; y < targetHeight; y++) {
    for (let x = 0; x < targetWidth; x++) out[(top + y) * SIZE + left + x] = Math.round(resized[y * targetWidth + x]!);
  }
  return out;
}

/**
 * ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, in 16-bit fixed point: the weights sum to exactly
 * 65536, so gray stays gray). Alpha is composited over white, so a transparent cut-out product photo
 * is treated exactly like the same product photographed on a white background.
 */
function toGray(raster: Raster): Uint8Array {
  if (raster.channels === 1) return raster.data;
  const { data } = raster;
  const gray = new Uint8Array(raster.width * raster.height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 4) {
    const luma = (19595 * data[p]! + 38470 * data[p + 1]! + 7471 * data[p + 2]! + 32768) >> 16;
    const alpha = data[p + 3]!;
    gray[i] = alpha === 255 ? luma : 255 - ((((255 - luma) * alpha + 127) / 255) | 0);
  }
  return gray;
}

/**
 * The background level: median of four square corner patches, each the size of one output pixel
 * (a single pixel for a 28x28 image), so one corner covered by the object cannot sway it.
 */
function cornerBackground(gray: Uint8Array, width: number, height: number): number {
  const patch = Math.max(1, Math.floor(Math.min(width, height) / SIZE));
  const histogram = new Uint32Array(256);
  for (const x0 of [0, width - patch]) {
    for (const y0 of [0, height - patch]) {
      for (let y = y0; y < y0 + patch; y++) {
        for (let x = x0; x < x0 + patch; x++) {
          const value = gray[y * width + x]!;
          histogram[value] = histogram[value]! + 1;
        }
      }
    }
  }
  const half = (4 * patch * patch) / 2;
  let seen = 0;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value]!;
    if (seen >= half) return value;
  }
  return 255;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Bounding box of the pixels farther than the tolerance from the background, or null if there are none. */
function trim(gray: Uint8Array, width: number, height: number, background: number): Box | null {
  const content = new Uint8Array(256);
  for (let v = 0; v < 256; v++) content[v] = Math.abs(v - background) > TRIM_TOLERANCE ? 1 : 0;
  let minX = width;
  let maxX = -1;
  let minY = -1;
  let maxY = -1;
  for (let y = 0, row = 0; y < height; y++, row += width) {
    // Scan in from the left to the first object pixel, then in from the right only as far as maxX.
    let left = 0;
    while (left < width && !content[gray[row + left]!]) left++;
    if (left === width) continue;
    let right = width - 1;
    while (right > maxX && !content[gray[row + right]!]) right--;
    minX = Math.min(minX, left);
    maxX = Math.max(maxX, right);
    if (minY < 0) minY = y;
    maxY = y;
  }
  return minY < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/**
 * Lookup table from gray level to output intensity: the background maps to 0 and the far end of the
 * range (black on a light background, white on a dark one) to 255. On a pure white background this
 * is plain negation; on an off-white one it avoids leaving a gray rectangle on the black canvas.
 * Values beyond the background (e.g. highlights brighter than an off-white backdrop) count as background.
 */
function levels(background: number, light: boolean): Float32Array {
  const table = new Float32Array(256);
  const gain = light ? 255 / background : 255 / (255 - background);
  for (let v = 0; v < 256; v++) table[v] = Math.max(0, (light ? background - v : v - background) * gain);
  return table;
}

/** For each of `dst` output cells spread evenly over `src` input pixels: which pixels it covers and by how much. */
interface AxisWeights {
  /** Entries per output cell: enough for the widest span; unused entries have weight 0. */
  taps: number;
  /** Input pixel index per entry, always inside 0..src-1. */
  index: Int32Array;
  /** Fraction of the output cell covered by that pixel; the entries of one cell sum to 1. */
  weight: Float32Array;
}

function axisWeights(src: number, dst: number): AxisWeights {
  const span = src / dst;
  const taps = Math.ceil(span) + 1;
  const index = new Int32Array(dst * taps);
  const weight = new Float32Array(dst * taps);
  for (let d = 0; d < dst; d++) {
    const start = d * span;
    const end = Math.min(src, (d + 1) * span);
    const first = Math.floor(start);
    for (let t = 0; t < taps; t++) {
      const i = Math.min(first + t, src - 1);
      index[d * taps + t] = i;
      weight[d * taps + t] = first + t < src ? Math.max(0, Math.min(end, i + 1) - Math.max(start, i)) / span : 0;
    }
  }
  return { taps, index, weight };
}

/**
 * Area-averaging resize (a box filter: every output pixel is the mean of the input area it covers,
 * fractional pixels weighted by coverage), separable: rows first, then columns. `table` maps the
 * input levels before averaging.
 */
function resizeArea(gray: Uint8Array, stride: number, box: Box, dstWidth: number, dstHeight: number, table: Float32Array): Float32Array {
  const wx = axisWeights(box.width, dstWidth);
  const wy = axisWeights(box.height, dstHeight);
  const rows = new Float32Array(dstWidth * box.height);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * stride + box.x;
    for (let x = 0; x < dstWidth; x++) {
      let sum = 0;
      for (let t = x * wx.taps, end = t + wx.taps; t < end; t++) sum += wx.weight[t]! * table[gray[src + wx.index[t]!]!]!;
      rows[y * dstWidth + x] = sum;
    }
  }
  const out = new Float32Array(dstWidth * dstHeight);
  for (let y = 0; y < dstHeight; y++) {
    for (let t = y * wy.taps, end = t + wy.taps; t < end; t++) {
      const w = wy.weight[t]!;
      if (w === 0) continue;
      const row = wy.index[t]! * dstWidth;
      for (let x = 0, o = y * dstWidth; x < dstWidth; x++, o++) out[o] = out[o]! + w * rows[row + x]!;
    }
  }
  return out;
}
