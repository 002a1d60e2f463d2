/**
 * Writes JPEG files by hand, for what sharp cannot make: restart intervals, any sampling factors,
 * progressive scripts of any length, AC symbols chosen one by one. Blocks are flat (DC only,
 * quantiser 1) unless AC symbols are given, so the decoded picture is known exactly: each block's
 * level, at every scale (at 1/8, whatever the AC symbols).
 */

/** Entropy-coded data with 0xFF bytes stuffed (T.81 F.1.2.3) and 1-bits padding the last byte. */
class BitWriter {
  readonly bytes: number[] = [];
  private pending = 0;
  private count = 0;

  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.pending = (this.pending << 1) | ((value >> i) & 1);
      if (++this.count === 8) {
        this.bytes.push(this.pending);
        if (this.pending === 0xff) this.bytes.push(0);
        this.pending = 0;
        this.count = 0;
      }
    }
  }

  /** Pads to a byte boundary with 1-bits, as encoders do before a marker. */
  align(): void {
    while (this.count !== 0) this.write(1, 1);
  }
}

/** DC table 0: categories 0..11, all 4-bit codes (code = category). */
const DC_COUNTS = [0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/** AC table 0: the end-of-band runs EOB0..EOB14 (symbols 0x00..0xE0), all 4-bit codes (code = r). */
const AC_COUNTS = [0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * AC table of files with AC symbols: end-of-block and the commonest symbols on 2- and 3-bit codes,
 * so that a few bits hold several whole symbols; every run 0..15 with magnitude sizes 1 and 2.
 */
const SYMBOL_AC_COUNTS = [0, 2, 3, 0, 0, 0, 0, 29, 0, 0, 0, 0, 0, 0, 0, 0];
const SYMBOL_AC_SYMBOLS = [
  0x00,
  0x01,
  0x11,
  0xf0,
  0x02,
  ...Array.from({ length: 15 }, (_, i) => ((i + 1) << 4) | 2),
  ...Array.from({ length: 14 }, (_, i) => ((i + 2) << 4) | 1),
];

/** Canonical Huffman codes (T.81 C.2) of `symbols` with `counts` codes of each length 1..16. */
function canonicalCodes(counts: number[], symbols: number[]): Map<number, [number, number]> {
  const codes = new Map<number, [code: number, length: number]>();
  let code = 0;
  let k = 0;
  counts.forEach((n, i) => {
    for (let j = 0; j < n; j++) codes.set(symbols[k++]!, [code++, i + 1]);
    code <<= 1;
  });
  return codes;
}
const SYMBOL_AC_CODES = canonicalCodes(SYMBOL_AC_COUNTS, SYMBOL_AC_SYMBOLS);

/**
 * One block's AC symbols in coding order: [run, value] is `run` zeros then `value` (|value| 1..3),
 * [15, 0] sixteen zeros (ZRL); `endOfBlock` appends the end-of-block code.
 */
export interface AcSymbols {
  symbols: [run: number, value: number][];
  endOfBlock: boolean;
}

/** Writes `block`'s AC symbols with the SYMBOL_AC table. */
function writeAc(writer: BitWriter, block: AcSymbols): void {
  const put = (symbol: number) => {
    const code = SYMBOL_AC_CODES.get(symbol);
    if (!code) throw new Error(`no code for AC symbol 0x${symbol.toString(16)}`);
    writer.write(code[0], code[1]);
  };
  for (const [run, value] of block.symbols) {
    const size = value === 0 ? 0 : Math.floor(Math.log2(Math.abs(value))) + 1;
    put((run << 4) | size);
    if (size > 0) writer.write(value > 0 ? value : value + (1 << size) - 1, size);
  }
  if (block.endOfBlock) put(0x00);
}

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
}

/** Writes a DC difference: its category's code, then the category's bits (T.81 F.1.2.1). */
function writeDc(writer: BitWriter, diff: number): void {
  const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
  writer.write(category, 4);
  if (category > 0) writer.write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
}

export interface CraftOptions {
  width: number;
  height: number;
  /** Sampling factors per component (1 = gray, 3 = YCbCr); ids are 1, 2, 3... */
  sampling: [h: number, v: number][];
  /** Level 0..255 of a block of component `c` at (row, column) of its padded block grid. */
  level: (c: number, row: number, column: number) => number;
  restartInterval?: number;
  /** Progressive: a DC scan, then this many AC scans of component 1, each one end-of-band run. */
  acScans?: number;
  /** Baseline only: the AC symbols of a block (default: none, end of block at once). */
  ac?: (c: number, row: number, column: number) => AcSymbols;
}

/** Sampling factors (luma, then Cb and Cr) of a gray file and of YCbCr 4:2:0 and 4:2:2. */
export const GRAY: CraftOptions['sampling'] = [[1, 1]];
export const YCBCR_420: CraftOptions['sampling'] = [
  [2, 2],
  [1, 1],
  [1, 1],
];
export const YCBCR_422: CraftOptions['sampling'] = [
  [2, 1],
  [1, 1],
  [1, 1],
];

/**
 * The photo-ingestion issue's scan bomb: a 256x256 4:2:0 progressive file of 80,000 AC scans, each
 * one end-of-band run (over 500 kB of scans that decode to a flat grey).
 */
export function craftScanBomb(): Uint8Array {
  return craftJpeg({
    width: 256,
    height: 256,
    sampling: YCBCR_420,
    level: () => 128,
    acScans: 80_000,
  });
}

/** A complete JPEG file made to `options`. */
export function craftJpeg(options: CraftOptions): Uint8Array {
  const { width, height, sampling, level, restartInterval = 0, acScans, ac } = options;
  const progressive = acScans !== undefined;
  if (progressive && ac) throw new Error('AC symbols are written in baseline files only');
  const hMax = Math.max(...sampling.map(([h]) => h));
  const vMax = Math.max(...sampling.map(([, v]) => v));
  const grid = sampling.map(([h, v]) => ({
    h,
    v,
    wide: Math.ceil(Math.ceil((width * h) / hMax) / 8),
    high: Math.ceil(Math.ceil((height * v) / vMax) / 8),
  }));
  const single = sampling.length === 1;
  const mcusWide = single ? grid[0]!.wide : Math.ceil(width / (8 * hMax));
  const mcusHigh = single ? grid[0]!.high : Math.ceil(height / (8 * vMax));
  const out: number[] = [0xff, 0xd8];
  out.push(...segment(0xdb, [0, ...new Array<number>(64).fill(1)]));
  const symbols = (n: number, step: number) => Array.from({ length: n }, (_, i) => i * step);
  out.push(
    ...segment(0xc4, [
      0x00,
      ...DC_COUNTS,
      ...symbols(12, 1),
      0x10,
      ...(ac ? [...SYMBOL_AC_COUNTS, ...SYMBOL_AC_SYMBOLS] : [...AC_COUNTS, ...symbols(15, 16)]),
    ]),
  );
  out.push(
    ...segment(progressive ? 0xc2 : 0xc0, [
      8,
      height >> 8,
      height & 255,
      width >> 8,
      width & 255,
      sampling.length,
      ...sampling.flatMap(([h, v], i) => [i + 1, (h << 4) | v, 0]),
    ]),
  );
  if (restartInterval > 0)
    out.push(...segment(0xdd, [restartInterval >> 8, restartInterval & 255]));
  const ids = sampling.flatMap((_, i) => [i + 1, 0x00]);
  out.push(...segment(0xda, [sampling.length, ...ids, 0, progressive ? 0 : 63, 0]));
  const writer = new BitWriter();
  const predictors = sampling.map(() => 0);
  let mcu = 0;
  for (let row = 0; row < mcusHigh; row++) {
    for (let column = 0; column < mcusWide; column++, mcu++) {
      if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
        writer.align();
        writer.bytes.push(0xff, 0xd0 + ((mcu / restartInterval - 1) & 7));
        predictors.fill(0);
      }
      grid.forEach((g, c) => {
        const [h, v] = single ? [1, 1] : [g.h, g.v];
        for (let y = 0; y < v; y++) {
          for (let x = 0; x < h; x++) {
            const dc = (level(c, row * v + y, column * h + x) - 128) * 8;
            writeDc(writer, dc - predictors[c]!);
            predictors[c] = dc;
            if (ac) writeAc(writer, ac(c, row * v + y, column * h + x));
            else if (!progressive) writer.write(0, 4); // EOB
          }
        }
      });
    }
  }
  writer.align();
  out.push(...writer.bytes);
  for (let scan = 0; scan < (acScans ?? 0); scan++)
    out.push(...endOfBandScan(grid[0]!.wide * grid[0]!.high, restartInterval));
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}

/**
 * A progressive AC scan of component 1 (coefficients 1..63): one end-of-band run over all its
 * blocks, or one per restart interval (a run cannot cross a restart marker).
 */
function endOfBandScan(blocks: number, restartInterval: number): number[] {
  const writer = new BitWriter();
  const step = restartInterval > 0 ? restartInterval : blocks;
  for (let first = 0; first < blocks; first += step) {
    if (first > 0) writer.bytes.push(0xff, 0xd0 + ((first / step - 1) & 7));
    const run = Math.min(step, blocks - first);
    const r = Math.floor(Math.log2(run));
    writer.write(r, 4);
    if (r > 0) writer.write(run - (1 << r), r);
    writer.align();
  }
  return [...segment(0xda, [1, 1, 0x00, 1, 63, 0]), ...writer.bytes];
}
