/**
 * The backdrop and its lighting, estimated from the image itself: a smooth quadratic surface
 * (1, x, y, x^2, xy, y^2) fitted robustly to a band along the frame's edges. A quadratic follows a
 * lighting gradient (linear) and vignetting (radial, so quadratic near the centre) across the whole
 * frame, and a robust fit (Tukey's biweight, iteratively reweighted) ignores a garment or another
 * object touching the edge as long as it covers less than about half the band.
 */
import type { FloatImage } from './bin.ts';
import { medianOf } from './median.ts';

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
/** Reweighting rounds at most; the fit usually settles sooner (see SETTLED_LEVELS). */
const ITERATIONS = 6;
/**
 * The fit stops once a round moves the backdrop by less than this many grey levels anywhere (the
 * basis is at most 1 in magnitude over the frame, so the sum of the coefficients' changes bounds
 * it): far below the 1-level quantisation, and below anything a threshold could notice. An evenly
 * lit backdrop settles after the first round, a lit gradient with noise after 3-5.
 */
const SETTLED_LEVELS = 0.05;
/**
 * The band is sampled down to about this many pixels: plenty for six coefficients and a noise figure
 * (the noise figure from 750 has a standard error of ~4%). Each round costs in
 * proportion: with 1,500 the fit was half of a 128x128 photo's preprocessing.
 */
const MAX_SAMPLES = 750;
/** Noise is never taken as less than this (8-bit quantisation alone is 0.29). */
const MIN_NOISE = 0.5;

/** Terms of the quadratic basis; a flat fit uses only the first. */
const TERMS = 6;

/** The band's sampled pixels: their values, the quadratic basis at each (TERMS per sample), and how many terms the fit uses. */
interface BandSamples {
  values: Float32Array;
  design: Float64Array;
  terms: number;
}

/** Fits the backdrop of `image`. */
export function fitBackground(image: FloatImage): Background {
  const { width, height } = image;
  // Normalised coordinates (-1..1) keep the normal equations well conditioned at any size.
  const nx = (x: number) => (2 * x + 1) / width - 1;
  const ny = (y: number) => (2 * y + 1) / height - 1;
  const { values, design, terms } = sampleBand(image, nx, ny);
  const count = values.length;
  const median = medianOf(values.slice());
  // All TERMS coefficients, those a flat fit leaves out at 0.
  let coefficients: Float64Array = new Float64Array(TERMS);
  coefficients[0] = median;
  const residuals = new Float32Array(count);
  const magnitudes = new Float32Array(count);
  const weights = new Float64Array(count);
  let noise = MIN_NOISE;
  let settled = false;
  for (let iteration = 0; iteration <= ITERATIONS; iteration++) {
    const c = coefficients;
    const [c0, c1, c2, c3, c4, c5] = [c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!];
    for (let i = 0, at = 0; i < count; i++, at += TERMS) {
      const fitted =
        c0 * design[at]! +
        c1 * design[at + 1]! +
        c2 * design[at + 2]! +
        c3 * design[at + 3]! +
        c4 * design[at + 4]! +
        c5 * design[at + 5]!;
      residuals[i] = values[i]! - fitted;
      magnitudes[i] = Math.abs(residuals[i]!);
    }
    noise = Math.max(MIN_NOISE, 1.4826 * medianOf(magnitudes));
    if (iteration === ITERATIONS || settled) break;
    for (let i = 0; i < count; i++) {
      const u = residuals[i]! / (TUKEY * noise);
      weights[i] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
    }
    const next = weightedLeastSquares(values, weights, design, terms) ?? coefficients;
    let moved = 0;
    for (let t = 0; t < TERMS; t++) moved += Math.abs(next[t]! - coefficients[t]!);
    settled = moved < SETTLED_LEVELS;
    coefficients = next;
  }
  const level = new Float32Array(width * height);
  const c = coefficients;
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

/**
 * Every `stride`-th pixel of the band `band` pixels wide along the frame's edges, in row order,
 * `stride` chosen for about MAX_SAMPLES of them; a frame too small for a surface gets a flat fit.
 */
function sampleBand(
  image: FloatImage,
  nx: (x: number) => number,
  ny: (y: number) => number,
): BandSamples {
  const { width, height, data } = image;
  const band = Math.max(1, Math.round(Math.min(width, height) / 40));
  const bandPixels =
    width * height - Math.max(0, width - 2 * band) * Math.max(0, height - 2 * band);
  const stride = Math.max(1, Math.round(bandPixels / MAX_SAMPLES));
  const terms = Math.min(width, height) >= MIN_SIDE_FOR_SURFACE ? 6 : 1;
  const count = Math.ceil(bandPixels / stride);
  const values = new Float32Array(count);
  const design = new Float64Array(count * TERMS);
  let skip = 0;
  let i = 0;
  for (let y = 0; y < height; y++) {
    const inRowBand = y < band || y >= height - band;
    const v = ny(y);
    for (let x = 0; x < width; x++) {
      if (!inRowBand && x === band) x = Math.max(x, width - band); // jump over the interior of the row
      if (x >= width || skip++ % stride) continue;
      values[i] = data[y * width + x]!;
      const u = nx(x);
      const at = i++ * TERMS;
      design[at] = 1;
      design[at + 1] = u;
      design[at + 2] = v;
      design[at + 3] = u * u;
      design[at + 4] = u * v;
      design[at + 5] = v * v;
    }
  }
  // i equals count: the loop visits exactly bandPixels pixels; the cut only guards that arithmetic.
  return { values: values.subarray(0, i), design: design.subarray(0, i * TERMS), terms };
}

/**
 * Coefficients minimising sum w_i (y_i - design_i . c)^2 over the first `n` terms, by Gaussian
 * elimination with partial pivoting on the normal equations; null when they are singular (too few
 * weighted samples). The sums run over all TERMS, unrolled: a flat fit reads its 1x1 corner.
 */
function weightedLeastSquares(
  y: Float32Array,
  w: Float64Array,
  design: Float64Array,
  n: number,
): Float64Array | null {
  const columns = TERMS + 1; // the right-hand side is the last column
  const a = new Float64Array(TERMS * columns); // the augmented normal equations, row by row
  for (let i = 0; i < y.length; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    const at = i * TERMS;
    const d0 = design[at]!;
    const d1 = design[at + 1]!;
    const d2 = design[at + 2]!;
    const d3 = design[at + 3]!;
    const d4 = design[at + 4]!;
    const d5 = design[at + 5]!;
    const yi = y[i]!;
    for (let r = 0, row = 0; r < TERMS; r++, row += columns) {
      const br = wi * design[at + r]!;
      a[row] = a[row]! + br * d0;
      a[row + 1] = a[row + 1]! + br * d1;
      a[row + 2] = a[row + 2]! + br * d2;
      a[row + 3] = a[row + 3]! + br * d3;
      a[row + 4] = a[row + 4]! + br * d4;
      a[row + 5] = a[row + 5]! + br * d5;
      a[row + 6] = a[row + 6]! + br * yi;
    }
  }
  const rhs = TERMS;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r * columns + col]!) > Math.abs(a[pivot * columns + col]!)) pivot = r;
    if (Math.abs(a[pivot * columns + col]!) < 1e-9) return null;
    for (let c = 0; c < columns; c++) {
      const held = a[col * columns + c]!;
      a[col * columns + c] = a[pivot * columns + c]!;
      a[pivot * columns + c] = held;
    }
    const diagonal = a[col * columns + col]!;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r * columns + col]! / diagonal;
      for (let c = col; c < n; c++)
        a[r * columns + c] = a[r * columns + c]! - factor * a[col * columns + c]!;
      a[r * columns + rhs] = a[r * columns + rhs]! - factor * a[col * columns + rhs]!;
    }
  }
  return Float64Array.from({ length: TERMS }, (_, r) =>
    r < n ? a[r * columns + rhs]! / a[r * columns + r]! : 0,
  );
}
