/**
 * VP8's inverse transforms (RFC 6386, 14.3 and 14.4), in the exact integer arithmetic of the
 * specification: the Walsh-Hadamard transform that spreads a 16x16 macroblock's second-order block
 * over its sixteen luma DCs, and the 4x4 DCT whose output is added to the prediction.
 */

/** The transforms' intermediate values, reused: a decode runs them hundreds of thousands of times. */
const rows = new Int32Array(16);
const columns = new Int32Array(16);

/**
 * Inverse WHT of `input` (16 values, raster order) into the DC (index 16 x i) of each of the
 * macroblock's 16 blocks in `out`.
 */
export function inverseWalshHadamard(input: Int16Array, out: Int16Array): void {
  const t = rows;
  for (let i = 0; i < 4; i++) {
    const a0 = input[i]! + input[12 + i]!;
    const a1 = input[4 + i]! + input[8 + i]!;
    const a2 = input[4 + i]! - input[8 + i]!;
    const a3 = input[i]! - input[12 + i]!;
    t[i] = a0 + a1;
    t[8 + i] = a0 - a1;
    t[4 + i] = a3 + a2;
    t[12 + i] = a3 - a2;
  }
  for (let i = 0; i < 4; i++) {
    const dc = t[i * 4]! + 3;
    const a0 = dc + t[i * 4 + 3]!;
    const a1 = t[i * 4 + 1]! + t[i * 4 + 2]!;
    const a2 = t[i * 4 + 1]! - t[i * 4 + 2]!;
    const a3 = dc - t[i * 4 + 3]!;
    out[i * 4 * 16] = (a0 + a1) >> 3;
    out[(i * 4 + 1) * 16] = (a3 + a2) >> 3;
    out[(i * 4 + 2) * 16] = (a0 - a1) >> 3;
    out[(i * 4 + 3) * 16] = (a3 - a2) >> 3;
  }
}

/** x * sqrt(2) * cos(pi/8), as 20091/65536 + 1. */
const cosine = (x: number): number => ((x * 20091) >> 16) + x;
/** x * sqrt(2) * sin(pi/8), as 35468/65536. */
const sine = (x: number): number => (x * 35468) >> 16;

/**
 * Adds the inverse DCT of `coefficients[from..from+15]` to the 4x4 pixels at `pixels[at]` (rows
 * `stride` apart); the clamped array keeps each sum within 0..255.
 */
export function addInverseDct(
  coefficients: Int16Array,
  from: number,
  pixels: Uint8ClampedArray,
  at: number,
  stride: number,
): void {
  const c = columns;
  for (let i = 0; i < 4; i++) {
    const in0 = coefficients[from + i]!;
    const in4 = coefficients[from + 4 + i]!;
    const in8 = coefficients[from + 8 + i]!;
    const in12 = coefficients[from + 12 + i]!;
    const a = in0 + in8;
    const b = in0 - in8;
    const cc = sine(in4) - cosine(in12);
    const d = cosine(in4) + sine(in12);
    c[i * 4] = a + d;
    c[i * 4 + 1] = b + cc;
    c[i * 4 + 2] = b - cc;
    c[i * 4 + 3] = a - d;
  }
  for (let i = 0; i < 4; i++, at += stride) {
    const dc = c[i]! + 4;
    const a = dc + c[8 + i]!;
    const b = dc - c[8 + i]!;
    const cc = sine(c[4 + i]!) - cosine(c[12 + i]!);
    const d = cosine(c[4 + i]!) + sine(c[12 + i]!);
    pixels[at] = pixels[at]! + ((a + d) >> 3);
    pixels[at + 1] = pixels[at + 1]! + ((b + cc) >> 3);
    pixels[at + 2] = pixels[at + 2]! + ((b - cc) >> 3);
    pixels[at + 3] = pixels[at + 3]! + ((a - d) >> 3);
  }
}

/** Adds a block whose only coefficient is its DC: the same value to all 16 pixels. */
export function addInverseDc(
  dc: number,
  pixels: Uint8ClampedArray,
  at: number,
  stride: number,
): void {
  const add = (dc + 4) >> 3;
  for (let y = 0; y < 4; y++, at += stride) {
    pixels[at] = pixels[at]! + add;
    pixels[at + 1] = pixels[at + 1]! + add;
    pixels[at + 2] = pixels[at + 2]! + add;
    pixels[at + 3] = pixels[at + 3]! + add;
  }
}
