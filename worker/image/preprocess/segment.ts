/**
 * Finds the garment: the heaviest connected object (and any part at least a fifth its weight)
 * standing out from the backdrop by more than the image's own noise allows. Works on contrast, each pixel's departure from the fitted backdrop as a
 * fraction of it (what the material reflects relative to the backdrop, so the same under dim and
 * bright light), first on a coarse grid of cells (whose averages are steady under noise and JPEG
 * blocking, and which bridge hairline gaps such as a bag's handle), then pixel by pixel to trim.
 */
import { unprocessableContent } from '../../http/problem.ts';
import type { Background } from './background.ts';
import type { FloatImage } from './bin.ts';
import type { Box } from './resize.ts';

/** The garment found: its box and its contrast (0 outside the garment), on the working image. */
export interface Garment {
  box: Box;
  /** Contrast (garment positive, whatever its polarity) inside the garment's pixels, 0 elsewhere. */
  contrast: Float32Array;
  /**
   * The garment's strongest contrast: the highest 3x3 mean over its pixels, which noise and JPEG
   * ringing hardly move, at the working resolution (so before resizing blurs a small dark detail).
   */
  peak: number;
}

/** Cells across the frame's short side. */
const CELLS_ACROSS = 48;
/** Backdrop levels are divided by at least this, so a black backdrop does not blow up contrast. */
const MIN_DIVISOR = 16;
/** Weakest contrast a cell needs to count as part of an object: 3% of the backdrop, whatever the noise. */
const MIN_CELL_CONTRAST = 0.03;
/** Weakest contrast a pixel needs to count when trimming: absolutely, and as a fraction of the garment's peak (the data set trimmed at 5% of the range). */
const MIN_PIXEL_CONTRAST = 0.02;
const TRIM_FRACTION = 0.05;
/** Noise multiples: cells and pixels above these are not noise (cells average noise down by their side). */
const CELL_NOISE_SIGMAS = 5;
const PIXEL_NOISE_SIGMAS = 3;
/** An object must reach this multiple of the cell threshold somewhere to be a garment, not a smudge. */
const DETECTION_FACTOR = 2;
/** Objects cut by the frame's edge weigh this much less than free ones: more likely the edge of something else. */
const EDGE_PENALTY = 0.5;
/**
 * Objects weighing at least this fraction of the heaviest are parts of the garment too (a pair of
 * bars, a sandal whose straps come apart at this resolution); specks, dust and stray edges weigh less.
 */
const PART_FRACTION = 0.2;

/**
 * Locates the garment in `image` against `background`.
 * @throws Problem 422 when nothing stands out from the backdrop, naming its level, its noise and the threshold.
 */
export function findGarment(image: FloatImage, background: Background): Garment {
  const { width, height, data } = image;
  const contrast = new Float32Array(width * height);
  for (let i = 0; i < contrast.length; i++) {
    const level = background.level[i]!;
    contrast[i] = (data[i]! - level) / Math.max(MIN_DIVISOR, level);
  }
  const noise = background.noise / Math.max(MIN_DIVISOR, background.median); // in contrast units
  const cell = Math.max(1, Math.round(Math.min(width, height) / CELLS_ACROSS));
  const grid = cellMeans(contrast, width, height, cell);
  const cellThreshold = Math.max(MIN_CELL_CONTRAST, (CELL_NOISE_SIGMAS * noise) / cell);
  // Polarity: a dark garment on a light backdrop, or a light one on a darker backdrop.
  let darker = 0;
  let lighter = 0;
  for (const mean of grid.means) {
    if (mean < -cellThreshold) darker -= mean;
    else if (mean > cellThreshold) lighter += mean;
  }
  const sign = darker >= lighter ? -1 : 1;
  if (sign < 0) {
    for (let i = 0; i < contrast.length; i++) contrast[i] = -contrast[i]!;
    for (let i = 0; i < grid.means.length; i++) grid.means[i] = -grid.means[i]!;
  }
  const object = garmentCells(grid, cellThreshold);
  const levels = (x: number) => Math.round(x * Math.max(MIN_DIVISOR, background.median));
  const detection = DETECTION_FACTOR * cellThreshold;
  if (!object || object.peak < detection) {
    const strongest = object
      ? `the strongest region reaches ${levels(object.peak)} levels, under`
      : 'no region above';
    throw unprocessableContent(
      `no garment found: the image is uniform (background ${Math.round(background.median)}, noise ${background.noise.toFixed(1)} levels, ${strongest} the ${levels(detection)}-level threshold)`,
    );
  }
  const pixelThreshold = Math.max(
    MIN_PIXEL_CONTRAST,
    TRIM_FRACTION * object.peak,
    PIXEL_NOISE_SIGMAS * noise,
  );
  const garment = trimToGarment(contrast, width, height, grid, object.cells, pixelThreshold);
  if (!garment) {
    throw unprocessableContent(
      `no garment found: the strongest region (${levels(object.peak)} levels on average) has no pixel above the ${levels(pixelThreshold)}-level threshold (background ${Math.round(background.median)}, noise ${background.noise.toFixed(1)} levels)`,
    );
  }
  return garment;
}

/** Mean contrast of each cell x cell block (the last row and column of cells may be smaller). */
interface CellGrid {
  columns: number;
  rows: number;
  cell: number;
  means: Float32Array;
}

function cellMeans(contrast: Float32Array, width: number, height: number, cell: number): CellGrid {
  const columns = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const sums = new Float32Array(columns * rows);
  for (let y = 0, p = 0; y < height; y++) {
    const row = ((y / cell) | 0) * columns;
    for (let x = 0, column = 0; x < width; column++) {
      for (const end = Math.min(width, x + cell); x < end; x++, p++)
        sums[row + column]! += contrast[p]!;
    }
  }
  for (let r = 0; r < rows; r++) {
    const cellHeight = Math.min(cell, height - r * cell);
    for (let c = 0; c < columns; c++)
      sums[r * columns + c]! /= cellHeight * Math.min(cell, width - c * cell);
  }
  return { columns, rows, cell, means: sums };
}

/**
 * The garment's cells: the 8-connected group of cells above `threshold` with the most contrast in
 * total (groups touching the frame's edge discounted), with any group weighing at least
 * PART_FRACTION of it; and the peak cell contrast among them. Null when no cell is above the threshold.
 */
function garmentCells(
  grid: CellGrid,
  threshold: number,
): { cells: Uint8Array; peak: number } | null {
  const { columns, rows, means } = grid;
  const label = new Int32Array(means.length).fill(-1);
  const stack: number[] = [];
  const groups: { score: number; peak: number }[] = [];
  for (let start = 0; start < means.length; start++) {
    if (label[start] !== -1 || means[start]! <= threshold) continue;
    const id = groups.length;
    let mass = 0;
    let peak = 0;
    let touchesEdge = false;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const c = i % columns;
      const r = (i / columns) | 0;
      mass += means[i]!;
      peak = Math.max(peak, means[i]!);
      touchesEdge ||= c === 0 || r === 0 || c === columns - 1 || r === rows - 1;
      for (let nr = Math.max(0, r - 1); nr <= Math.min(rows - 1, r + 1); nr++) {
        for (let nc = Math.max(0, c - 1); nc <= Math.min(columns - 1, c + 1); nc++) {
          const j = nr * columns + nc;
          if (label[j] === -1 && means[j]! > threshold) {
            label[j] = id;
            stack.push(j);
          }
        }
      }
    }
    groups.push({ score: touchesEdge ? mass * EDGE_PENALTY : mass, peak });
  }
  if (!groups.length) return null;
  const heaviest = Math.max(...groups.map((g) => g.score));
  const kept = groups.map((g) => g.score >= PART_FRACTION * heaviest);
  const peak = Math.max(...groups.filter((_, id) => kept[id]).map((g) => g.peak));
  const cells = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) cells[i] = label[i]! >= 0 && kept[label[i]!] ? 1 : 0;
  return { cells, peak };
}

/**
 * Keeps the pixels of the chosen cells, and of the cells around them (the garment's faint edge may
 * fall in a cell whose mean stayed under the threshold), whose contrast is above `threshold` and
 * whose 3x3 neighbourhood averages at least half of it (a lone noise pixel does not); everything
 * else becomes 0. The box is the extent of the kept pixels; null if none is kept.
 */
function trimToGarment(
  contrast: Float32Array,
  width: number,
  height: number,
  grid: CellGrid,
  cells: Uint8Array,
  threshold: number,
): Garment | null {
  const { columns, rows, cell } = grid;
  const near = new Uint8Array(cells.length); // chosen cells grown by one
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      if (!cells[r * columns + c]) continue;
      for (let nr = Math.max(0, r - 1); nr <= Math.min(rows - 1, r + 1); nr++)
        near.fill(
          1,
          nr * columns + Math.max(0, c - 1),
          nr * columns + Math.min(columns - 1, c + 1) + 1,
        );
    }
  }
  const kept = new Float32Array(contrast.length);
  let [minX, minY, maxX, maxY] = [width, height, -1, -1];
  let peak = 0;
  for (let y = 0, p = 0; y < height; y++) {
    const row = ((y / cell) | 0) * columns;
    for (let x = 0; x < width; x++, p++) {
      const value = contrast[p]!;
      if (value <= threshold || !near[row + ((x / cell) | 0)]) continue;
      const mean =
        x > 0 && y > 0 && x < width - 1 && y < height - 1
          ? interiorMean(contrast, width, p)
          : neighbourhoodMean(contrast, width, height, x, y);
      if (mean < threshold / 2) continue;
      kept[p] = value;
      if (mean > peak) peak = mean;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      maxY = y; // rows come in order
    }
  }
  if (maxX < 0) return null;
  return {
    box: { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 },
    contrast: kept,
    peak,
  };
}

/** Mean of the 3x3 neighbourhood of pixel `p`, away from the frame: neighbourhoodMean's sum, unrolled. */
function interiorMean(values: Float32Array, width: number, p: number): number {
  const above = p - width;
  const below = p + width;
  return (
    (values[above - 1]! +
      values[above]! +
      values[above + 1]! +
      values[p - 1]! +
      values[p]! +
      values[p + 1]! +
      values[below - 1]! +
      values[below]! +
      values[below + 1]!) /
    9
  );
}

/** Mean of the 3x3 neighbourhood of (x, y), clipped at the frame. */
function neighbourhoodMean(
  values: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
): number {
  let sum = 0;
  let count = 0;
  for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
    for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++, count++)
      sum += values[ny * width + nx]!;
  }
  return sum / count;
}
