/**
 * The backdrop and its lighting, estimated from the image itself: a smooth quadratic surface
 * (1, x, y, x^2, xy, y^2) fitted robustly to a band along the frame's edges. A quadratic follows a
 * lighting gradient (linear) and vignetting (radial, so quadratic near the centre) across the whole
 * frame, and a robust fit (Tukey's biweight, iteratively reweighted) ignores a garment or another
 * object touching the edge as long as it covers less than about half the band.
 */
import type { FloatImage } from './bin.ts';

/** The fitted backdrop and how noisy it is. */
export interface Background {
  /** Backdrop level at each pixel (row-major, like the image). */
  level: Float32Array;
  /** Median backdrop level along the band: what the backdrop "is" (white, grey, black). */
  median: number;
  /** Robust standard deviation of the band around the fitted surface: sensor noise and JPEG artefacts, in grey levels. */
  noise: number;
}

/** Below this short side the band is too short to pin down six coefficients: a flat backdrop is fitted. */
const MIN_SIDE_FOR_SURFACE = 16;
/** Tukey's biweight tuning constant (95% efficiency for Gaussian noise). */
const TUKEY = 4.685;
const ITERATIONS = 6;
/** The band is sampled down to about this many pixels: plenty for six coefficients and a noise figure. */
const MAX_SAMPLES = 1500;
/** Noise is never taken as less than this (8-bit quantisation alone is 0.29). */
const MIN_NOISE = 0.5;

/** Fits the backdrop of `image`. */
export function fitBackground(image: FloatImage): Background {
  const { width, height, data } = image;
  const band = Math.max(1, Math.round(Math.min(width, height) / 40));
  const samples: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  // Normalised coordinates (-1..1) keep the normal equations well conditioned at any size.
  const nx = (x: number) => (2 * x + 1) / width - 1;
  const ny = (y: number) => (2 * y + 1) / height - 1;
  const bandPixels = width * height - Math.max(0, width - 2 * band) * Math.max(0, height - 2 * band);
  const stride = Math.max(1, Math.round(bandPixels / MAX_SAMPLES));
  let skip = 0;
  for (let y = 0; y < height; y++) {
    const inRowBand = y < band || y >= height - band;
    for (let x = 0; x < width; x++) {
      if (!inRowBand && x === band) x = Math.max(x, width - band); // jump over the interior of the row
      if (x >= width || skip++ % stride) continue;
      samples.push(data[y * width + x]!);
      xs.push(nx(x));
      ys.push(ny(y));
    }
  }
  const terms = Math.min(width, height) >= MIN_SIDE_FOR_SURFACE ? 6 : 1;
  const design = new Float64Array(samples.length * terms); // the basis at each sample, row by row
  for (let i = 0; i < samples.length; i++) design.set(basis(xs[i]!, ys[i]!).subarray(0, terms), i * terms);
  const median = medianOf(Float32Array.from(samples));
  let coefficients: Float64Array = new Float64Array(terms);
  coefficients[0] = median;
  const residuals = new Float32Array(samples.length);
  const weights = new Float64Array(samples.length);
  let noise = MIN_NOISE;
  for (let iteration = 0; iteration <= ITERATIONS; iteration++) {
    for (let i = 0; i < samples.length; i++) {
      let fitted = 0;
      for (let t = 0; t < terms; t++) fitted += coefficients[t]! * design[i * terms + t]!;
      residuals[i] = samples[i]! - fitted;
    }
    noise = Math.max(MIN_NOISE, 1.4826 * medianOf(residuals.map(Math.abs)));
    if (iteration === ITERATIONS) break;
    for (let i = 0; i < samples.length; i++) {
      const u = residuals[i]! / (TUKEY * noise);
      weights[i] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
    }
    coefficients = weightedLeastSquares(samples, weights, design, terms) ?? coefficients;
  }
  const level = new Float32Array(width * height);
  const c = Float64Array.from({ length: 6 }, (_, t) => coefficients[t] ?? 0);
  for (let y = 0, p = 0; y < height; y++) {
    const v = ny(y);
    // Along a row the surface is a quadratic in x: a + b x + c x^2.
    const a = c[0]! + c[2]! * v + c[5]! * v * v;
    const b = c[1]! + c[4]! * v;
    for (let x = 0; x < width; x++, p++) {
      const u = nx(x);
      level[p] = a + (b + c[3]! * u) * u;
    }
  }
  return { level, median, noise };
}

/** The quadratic basis at normalised coordinates; a flat fit uses only the first term. */
function basis(x: number, y: number): Float64Array {
  return Float64Array.of(1, x, y, x * x, x * y, y * y);
}

/** Median of the values (sorts them in place). */
function medianOf(values: Float32Array): number {
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Coefficients minimising sum w_i (y_i - design_i . c)^2, by Gaussian elimination with partial
 * pivoting on the normal equations; null when they are singular (too few weighted samples).
 */
function weightedLeastSquares(y: number[], w: Float64Array, design: Float64Array, n: number): Float64Array | null {
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  for (let i = 0; i < y.length; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    for (let r = 0; r < n; r++) {
      const row = a[r]!;
      const br = wi * design[i * n + r]!;
      for (let c = 0; c < n; c++) row[c] = row[c]! + br * design[i * n + c]!;
      row[n] = row[n]! + br * y[i]!;
    }
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-9) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]! / a[col]![col]!;
      for (let c = col; c <= n; c++) a[r]![c] = a[r]![c]! - factor * a[col]![c]!;
    }
  }
  return Float64Array.from(a, (row, r) => row[n]! / row[r]!);
}
