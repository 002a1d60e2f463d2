/**
 * A JPEG decoder for luma only, at reduced scale in the DCT domain (as libjpeg's scale_denom): it
 * walks the marker segments, decodes the luma's blocks through a 1x1, 2x2, 4x4 or 8x8 inverse DCT,
 * and only entropy-decodes (or, when a scan holds no luma, skips) the chroma.
 * Sequential files stream: each block goes straight to the output plane. Progressive files keep the
 * luma's quantised coefficients (only the DC at 1/8 scale) until the last scan.
 */
import type { GrayImage } from '../gray.ts';
import { jpegDenominator } from '../scale.ts';
import { BitReader, findMarker } from './bits.ts';
import {
  blocksInScan,
  frameOf,
  readScan,
  walkScan,
  type Frame,
  type FrameComponent,
  type Scan,
} from './frame.ts';
import type { JpegHeader } from './header.ts';
import { inverseDct, naturalOrder } from './idct.ts';
import {
  corrupt,
  MAX_SCANS,
  MAX_SEGMENTS,
  MAX_TABLE_DEFINITIONS,
  MAX_VISITS_PER_BLOCK,
} from './limits.ts';
import { decodeAcFirst, decodeAcRefine, decodeDcFirst, decodeDcRefine } from './progressive.ts';
import { decodeSequentialBlock } from './sequential.ts';
import { readHuffmanTables, readQuantTables, ZIGZAG, type HuffmanTable } from './tables.ts';

/** SOF0..SOF15 (0xC4, 0xC8 and 0xCC are DHT, JPG and DAC): a file holds one frame. */
const FRAME_MARKERS = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);

/** Coefficients (zigzag count) a block of output size N needs: its NxN lowest frequencies lie within the first 1, 5, 25, 64. */
const KEEP = new Map([
  [1, 1],
  [2, 5],
  [4, 25],
  [8, 64],
]);

/** Decoding state shared by the scans of one image. */
interface Decoding {
  bytes: Uint8Array;
  frame: Frame;
  luma: FrameComponent;
  progressive: boolean;
  /** Output pixels per block side (8 / denominator). */
  size: number;
  /** The luma plane over the luma's padded block grid. */
  plane: Uint8Array;
  stride: number;
  /** Progressive only: the luma's quantised coefficients in zigzag order, `perBlock` per block (1 at 1/8 scale: DC only). */
  coefficients: Int16Array;
  perBlock: number;
  /** Progressive only: each luma block's highest nonzero zigzag index (see progressive.ts). */
  lastNonzero: Uint8Array;
  /** The luma's quantisation table in natural order, latched at its first scan. */
  quant: Uint16Array | undefined;
  quantTables: (Uint16Array | undefined)[];
  restartInterval: number;
}

/**
 * Decodes the luma of a JPEG whose header readJpegHeader has read, at 1/8, 1/4, 1/2 or full scale:
 * the smallest whose long side is still >= `longSide`. The result is ceil(width / d) x ceil(height / d).
 * @throws Problem 400 when the data is truncated or corrupt or breaks a cap of limits.ts
 */
export function decodeJpeg(bytes: Uint8Array, header: JpegHeader, longSide: number): GrayImage {
  const denominator = jpegDenominator(header.width, header.height, longSide);
  const size = 8 / denominator;
  const frame = frameOf(header);
  const luma = frame.components[0]!;
  const perBlock = size === 1 ? 1 : 64;
  const state: Decoding = {
    bytes,
    frame,
    luma,
    size,
    progressive: header.progressive,
    stride: luma.paddedWide * size,
    plane: new Uint8Array(luma.paddedWide * size * luma.paddedHigh * size),
    coefficients: new Int16Array(
      header.progressive ? luma.paddedWide * luma.paddedHigh * perBlock : 0,
    ),
    lastNonzero: new Uint8Array(header.progressive ? luma.paddedWide * luma.paddedHigh : 0),
    perBlock,
    quant: undefined,
    quantTables: [],
    restartInterval: 0,
  };
  const dc: (HuffmanTable | undefined)[] = [];
  const ac: (HuffmanTable | undefined)[] = [];
  let tables = 0;
  let scans = 0;
  let visits = 0;
  let frames = 0;
  let at = 2;
  let ended = false;
  for (let segments = 0; at < bytes.length; segments++) {
    if (segments > MAX_SEGMENTS) throw corrupt(`more than ${MAX_SEGMENTS} marker segments`);
    const marker = bytes[at + 1];
    if (bytes[at] !== 0xff || marker === undefined)
      throw corrupt(`expected a marker at byte ${at}`);
    if (marker === 0xd9) {
      ended = true;
      break;
    }
    // Fill bytes, TEM and stray RSTn stand alone.
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    const end = at + 2 + (((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0));
    if (at + 4 > bytes.length || end > bytes.length || end < at + 4)
      throw corrupt(`the marker segment at byte ${at} is cut off or has an invalid length`);
    const data = bytes.subarray(at + 4, end);
    if (marker === 0xdb) tables += readQuantTables(data, state.quantTables);
    else if (marker === 0xc4) tables += readHuffmanTables(data, dc, ac);
    else if (marker === 0xdd)
      state.restartInterval = data.length === 2 ? (data[0]! << 8) | data[1]! : -1;
    else if (FRAME_MARKERS.has(marker)) frames++;
    if (marker === 0xd8 || frames > 1)
      throw corrupt(`an unexpected second SOI or SOFn marker at byte ${at}`);
    if (state.restartInterval < 0) throw corrupt('a restart interval segment of the wrong length');
    if (tables > MAX_TABLE_DEFINITIONS)
      throw corrupt(`more than ${MAX_TABLE_DEFINITIONS} table definitions`);
    if (marker !== 0xda) {
      at = end;
      continue;
    }
    if (frames === 0) throw corrupt('image data before the frame header');
    if (++scans > MAX_SCANS) throw corrupt(`more than ${MAX_SCANS} scans`);
    const scan = readScan(data, frame, header.progressive, dc, ac);
    visits += blocksInScan(scan, frame);
    if (visits > MAX_VISITS_PER_BLOCK * frame.totalBlocks)
      throw corrupt(
        `the scans visit more than ${MAX_VISITS_PER_BLOCK} times the ${frame.totalBlocks} blocks of the image`,
      );
    at = decodeScan(state, scan, end);
  }
  if (!ended && header.progressive) throw corrupt('it ends before the end-of-image marker');
  if (!state.quant) throw corrupt('it holds no image data for the luma');
  if (header.progressive) renderCoefficients(state);
  return crop(state, denominator);
}

/**
 * Decodes one scan whose data starts at `from` and returns the offset of the marker after it.
 * Scans without the luma, and progressive AC scans at 1/8 scale, are skipped unread.
 */
function decodeScan(state: Decoding, scan: Scan, from: number): number {
  const { bytes, luma, progressive, size } = state;
  if (!scan.components.includes(luma) || (progressive && scan.start > 0 && size === 1))
    return findMarker(bytes, from, true);
  const table = state.quantTables[luma.quantTable];
  if (!table) throw corrupt(`quantisation table ${luma.quantTable} is used but never defined`);
  if (!progressive || !state.quant) state.quant = naturalOrder(table, ZIGZAG);
  const reader = new BitReader(bytes, from);
  const scratch = new Int16Array(64);
  if (!progressive) {
    const block = new Int16Array(64);
    const keep = KEEP.get(size)!;
    const { plane, stride, quant } = state;
    walkScan(reader, scan, state.frame, state.restartInterval, (component, row, column) => {
      if (component !== luma) return decodeSequentialBlock(reader, component, scratch, 0);
      decodeSequentialBlock(reader, component, block, keep);
      inverseDct(block, 0, quant!, size, plane, row * size * stride + column * size, stride);
      for (let k = 0; k < keep; k++) block[ZIGZAG[k]!] = 0;
    });
  } else {
    const decodeBlock =
      scan.start === 0
        ? scan.high === 0
          ? decodeDcFirst
          : decodeDcRefine
        : scan.high === 0
          ? decodeAcFirst
          : decodeAcRefine;
    const { coefficients, perBlock, lastNonzero } = state;
    const wide = luma.paddedWide;
    const none = new Uint8Array(1);
    walkScan(reader, scan, state.frame, state.restartInterval, (component, row, column) => {
      if (component === luma)
        decodeBlock(
          reader,
          component,
          scan,
          coefficients,
          (row * wide + column) * perBlock,
          lastNonzero,
        );
      else decodeBlock(reader, component, scan, scratch, 0, none);
    });
  }
  return reader.finish();
}

/** Progressive: the inverse DCT of every luma block that holds image pixels, once all scans are in. */
function renderCoefficients(state: Decoding): void {
  const { luma, size, stride, plane, coefficients, perBlock, quant } = state;
  const keep = KEEP.get(size)!;
  const natural = new Int16Array(64);
  for (let row = 0; row < luma.blocksHigh; row++) {
    for (let column = 0; column < luma.blocksWide; column++) {
      const at = (row * luma.paddedWide + column) * perBlock;
      for (let k = 0; k < keep; k++) natural[ZIGZAG[k]!] = coefficients[at + k]!;
      inverseDct(natural, 0, quant!, size, plane, row * size * stride + column * size, stride);
    }
  }
}

/**
 * The output: the plane cut to ceil(width / d) x ceil(height / d). A luma sampled below the frame's
 * maximum (unusual: Y normally has the largest factors) is stretched by repetition.
 */
function crop(state: Decoding, denominator: number): GrayImage {
  const { frame, luma, plane, stride } = state;
  const hMax = Math.max(...frame.components.map((c) => c.h));
  const vMax = Math.max(...frame.components.map((c) => c.v));
  const width = Math.ceil(frame.width / denominator);
  const height = Math.ceil(frame.height / denominator);
  const data = new Uint8Array(width * height);
  const stretched = luma.h !== hMax;
  const columns = Int32Array.from({ length: stretched ? width : 0 }, (_, x) =>
    Math.floor((x * luma.h) / hMax),
  );
  for (let y = 0; y < height; y++) {
    const source = Math.floor((y * luma.v) / vMax) * stride;
    if (!stretched) data.set(plane.subarray(source, source + width), y * width);
    else for (let x = 0, o = y * width; x < width; x++, o++) data[o] = plane[source + columns[x]!]!;
  }
  return { width, height, data };
}
