/**
 * Reduced-size inverse DCT (as libjpeg's scale_denom): an 8x8 block of coefficients becomes an NxN
 * block of pixels (N = 8, 4, 2, 1) from its NxN lowest frequencies alone. Each output pixel is the
 * mean of the 8/N x 8/N pixels it stands for, as far as the NxN frequencies tell, so N = 1 is the
 * DC term (the block mean) and N = 8 the ordinary IDCT. Plain double arithmetic: identical everywhere.
 */

/**
 * basis[N][x * N + u] = C(u)/2 cos((2x + 1) u pi / 2N) box(u), C(0) = 1/sqrt 2 (T.81 A.3.3), where
 * box(u) = sin(m u pi / 16) / (m sin(u pi / 16)) is the mean of frequency u over the m = 8/N pixels
 * of output pixel x: with it each output pixel is the area average of those pixels' band-limited values.
 */
const BASES: Float64Array[] = [];
for (const n of [2, 4, 8]) {
  const m = 8 / n;
  const basis = (BASES[n] = new Float64Array(n * n));
  for (let x = 0; x < n; x++) {
    for (let u = 0; u < n; u++) {
      const box =
        u === 0 ? 1 : Math.sin((m * u * Math.PI) / 16) / (m * Math.sin((u * Math.PI) / 16));
      basis[x * n + u] =
        (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n)) * box;
    }
  }
}

/** The 2x2 basis as constants: basis[x * 2 + u] = b{x}{u}. */
const [b00, b01, b10, b11] = [BASES[2]![0]!, BASES[2]![1]!, BASES[2]![2]!, BASES[2]![3]!];

/** Dequantised coefficients and row-pass results, reused by every block. */
const dequantised = new Float64Array(64);
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
export function inverseDct(
  coefficients: Int16Array,
  at: number,
  quant: Uint16Array,
  size: number,
  out: Uint8Array,
  outAt: number,
  stride: number,
): void {
  const dc = (coefficients[at]! * quant[0]!) / 8;
  if (size === 1) {
    out[outAt] = toSample(dc);
    return;
  }
  if (size === 2) return inverseDct2(coefficients, at, quant, dc, out, outAt, stride);
  // Dequantise the NxN low frequencies; a row of zeros (most of them) costs nothing in the row pass.
  let rowsUsed = 0;
  let acUsed = false;
  for (let v = 0; v < size; v++) {
    let nonzero = false;
    for (let u = 0; u < size; u++) {
      const c = coefficients[at + v * 8 + u]!;
      dequantised[v * size + u] = c * quant[v * 8 + u]!;
      if (c !== 0) nonzero = true;
      if (c !== 0 && u + v > 0) acUsed = true;
    }
    if (nonzero) rowsUsed = v + 1;
  }
  if (!acUsed) {
    const sample = toSample(dc);
    for (let y = 0; y < size; y++) out.fill(sample, outAt + y * stride, outAt + y * stride + size);
    return;
  }
  const basis = BASES[size]!;
  for (let v = 0; v < rowsUsed; v++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let u = 0; u < size; u++) sum += basis[x * size + u]! * dequantised[v * size + u]!;
      rows[v * size + x] = sum;
    }
  }
  for (let y = 0; y < size; y++) {
    const line = outAt + y * stride;
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let v = 0; v < rowsUsed; v++) sum += basis[y * size + v]! * rows[v * size + x]!;
      out[line + x] = toSample(sum);
    }
  }
}

/**
 * The 2x2 case (a 1/4-scale decode, what a 512-pixel photo takes) written out: the general loops'
 * arithmetic in the same order, so the same pixels, without their bookkeeping. A zero row adds
 * only zeros there, which changes no sum.
 */
function inverseDct2(
  coefficients: Int16Array,
  at: number,
  quant: Uint16Array,
  dc: number,
  out: Uint8Array,
  outAt: number,
  stride: number,
): void {
  const c01 = coefficients[at + 1]!;
  const c10 = coefficients[at + 8]!;
  const c11 = coefficients[at + 9]!;
  if (c01 === 0 && c10 === 0 && c11 === 0) {
    const sample = toSample(dc);
    out[outAt] = out[outAt + 1] = out[outAt + stride] = out[outAt + stride + 1] = sample;
    return;
  }
  const d00 = coefficients[at]! * quant[0]!;
  const d01 = c01 * quant[1]!;
  const d10 = c10 * quant[8]!;
  const d11 = c11 * quant[9]!;
  // Row pass (rows[v][x]), then column pass: out[y][x] = sum over v of basis[y][v] rows[v][x].
  const r00 = b00 * d00 + b01 * d01;
  const r01 = b10 * d00 + b11 * d01;
  const r10 = b00 * d10 + b01 * d11;
  const r11 = b10 * d10 + b11 * d11;
  out[outAt] = toSample(b00 * r00 + b01 * r10);
  out[outAt + 1] = toSample(b00 * r01 + b01 * r11);
  out[outAt + stride] = toSample(b10 * r00 + b11 * r10);
  out[outAt + stride + 1] = toSample(b10 * r01 + b11 * r11);
}

/** A zigzag-ordered quantisation table (as DQT stores it) in natural order. */
export function naturalOrder(zigzagTable: Uint16Array, zigzag: Uint8Array): Uint16Array {
  const natural = new Uint16Array(64);
  for (let k = 0; k < 64; k++) natural[zigzag[k]!] = zigzagTable[k]!;
  return natural;
}
