/** Area-averaging resize of a rectangle of a float image: how the garment comes down to 28 pixels. */

/** A rectangle of an image, in pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
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
      weight[d * taps + t] =
        first + t < src ? Math.max(0, Math.min(end, i + 1) - Math.max(start, i)) / span : 0;
    }
  }
  return { taps, index, weight };
}

/**
 * Resizes `box` of `values` (row-major, `stride` values per row) to dstWidth x dstHeight by area
 * averaging (a box filter: every output pixel is the mean of the input area it covers, fractional
 * pixels weighted by coverage; unlike skipping rows and columns, it does not alias on large photos).
 * Separable: rows first, then columns.
 */
export function resizeArea(
  values: Float32Array,
  stride: number,
  box: Box,
  dstWidth: number,
  dstHeight: number,
): Float32Array {
  const wx = axisWeights(box.width, dstWidth);
  const wy = axisWeights(box.height, dstHeight);
  const rows = new Float32Array(dstWidth * box.height);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * stride + box.x;
    for (let x = 0; x < dstWidth; x++) {
      let sum = 0;
      for (let t = x * wx.taps, end = t + wx.taps; t < end; t++)
        sum += wx.weight[t]! * values[src + wx.index[t]!]!;
      rows[y * dstWidth + x] = sum;
    }
  }
  const out = new Float32Array(dstWidth * dstHeight);
  for (let y = 0; y < dstHeight; y++) {
    for (let t = y * wy.taps, end = t + wy.taps; t < end; t++) {
      const w = wy.weight[t]!;
      if (w === 0) continue;
      const row = wy.index[t]! * dstWidth;
      for (let x = 0, o = y * dstWidth; x < dstWidth; x++, o++)
        out[o] = out[o]! + w * rows[row + x]!;
    }
  }
  return out;
}
