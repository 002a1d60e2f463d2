/**
 * Reduced-size inverse DCT (as libjpeg's scale_denom): an 8x8 block of coefficients becomes an NxN
 * block of pixels (N = 8, 4, 2, 1) from its NxN lowest frequencies alone. Each output pixel is the
 * 8-point IDCT evaluated at the centre of the 8/N x 8/N pixels it stands for, so N = 1 is the DC
 * term (the block mean) and N = 8 the ordinary IDCT. Plain double arithmetic: identical everywhere.
 */

/** basis[N][n * N + u] = C(u)/2 cos((2n + 1) u pi / 2N), with C(0) = 1/sqrt 2 (T.81 A.3.3). */
const BASIS = new Map<number, Float64Array>(
  [2, 4, 8].map((n) => {
    const basis = new Float64Array(n * n);
    for (let x = 0; x < n; x++) {
      for (let u = 0; u < n; u++) basis[x * n + u] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
    }
    return [n, basis];
  }),
);

/** Row-pass results, reused by every block. */
const rows = new Float64Array(64);

/** Rounds a level-shifted sample to 0..255. */
function toSample(value: number): number {
  const shifted = value + 128.5;
  return shifted <= 0 ? 0 : shifted >= 255 ? 255 : shifted | 0;
}

/**
 * Writes the NxN pixels of one block.
 * @param coefficients quantised coefficients in natural (row-major) order at `at`..`at + 63`
 * @param quant quantisation values in natural order
 * @param size N: 1, 2, 4 or 8
 * @param out the luma plane, written at `outAt` with `stride` bytes per row
 */
export function inverseDct(coefficients: Int16Array, at: number, quant: Uint16Array, size: number, out: Uint8Array, outAt: number, stride: number): void {
  const dc = coefficients[at]! * quant[0]!;
  let acZero = true;
  for (let v = 0; v < size && acZero; v++) {
    for (let u = v === 0 ? 1 : 0; u < size; u++) {
      if (coefficients[at + v * 8 + u] !== 0) {
        acZero = false;
        break;
      }
    }
  }
  if (acZero) {
    const sample = toSample(dc / 8);
    for (let y = 0; y < size; y++) out.fill(sample, outAt + y * stride, outAt + y * stride + size);
    return;
  }
  const basis = BASIS.get(size)!;
  // Rows: frequency row v, horizontal frequencies u -> positions x.
  for (let v = 0; v < size; v++) {
    const row = at + v * 8;
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let u = 0; u < size; u++) sum += basis[x * size + u]! * coefficients[row + u]! * quant[v * 8 + u]!;
      rows[v * size + x] = sum;
    }
  }
  // Columns: vertical frequencies v -> positions y.
  for (let y = 0; y < size; y++) {
    const line = outAt + y * stride;
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let v = 0; v < size; v++) sum += basis[y * size + v]! * rows[v * size + x]!;
      out[line + x] = toSample(sum);
    }
  }
}

/** A zigzag-ordered quantisation table (as DQT stores it) in natural order. */
export function naturalOrder(zigzagTable: Uint16Array, zigzag: Uint8Array): Uint16Array {
  const natural = new Uint16Array(64);
  for (let k = 0; k < 64; k++) natural[zigzag[k]!] = zigzagTable[k]!;
  return natural;
}
