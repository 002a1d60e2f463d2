/**
 * Frame and scan geometry (T.81 A.2, B.2.3): which blocks each component has, how a scan's MCUs
 * interleave them, and the walk over a scan's blocks with its restart intervals.
 */
import type { BitReader } from './bits.ts';
import type { JpegComponent, JpegHeader } from './header.ts';
import { corrupt } from './limits.ts';
import type { HuffmanTable } from './tables.ts';

/** A frame component with its block grid and the state a scan keeps for it. */
export interface FrameComponent extends JpegComponent {
  /** Blocks that hold image samples (a non-interleaved scan codes exactly these). */
  blocksWide: number;
  blocksHigh: number;
  /** Blocks of the MCU grid (an interleaved scan codes these, padding included). */
  paddedWide: number;
  paddedHigh: number;
  /** Tables the current scan assigned. */
  dcTable: HuffmanTable | undefined;
  acTable: HuffmanTable | undefined;
  /** DC prediction and progressive end-of-band run, reset at each scan and restart. */
  predictor: number;
  eobRun: number;
}

/** The frame header's geometry: its size, its components' block grids and the MCU grid of interleaved scans. */
export interface Frame {
  width: number;
  height: number;
  components: FrameComponent[];
  mcusWide: number;
  mcusHigh: number;
  /** Blocks in all components' MCU grids: the unit of the visit budget. */
  totalBlocks: number;
}

/** A parsed scan header (T.81 B.2.3). */
export interface Scan {
  components: FrameComponent[];
  /** Spectral selection start and end (zigzag indices), successive approximation high and low bit. */
  start: number;
  end: number;
  high: number;
  low: number;
}

/** Lays out the block grids of a frame (T.81 A.2.4): MCUs of hMax x vMax blocks, components sampled down from there. */
export function frameOf(header: JpegHeader): Frame {
  const hMax = Math.max(...header.components.map((c) => c.h));
  const vMax = Math.max(...header.components.map((c) => c.v));
  const mcusWide = Math.ceil(header.width / (8 * hMax));
  const mcusHigh = Math.ceil(header.height / (8 * vMax));
  // Listed field by field (not spread): one literal map for every component of every image keeps V8's code stable.
  const components = header.components.map(({ id, h, v, quantTable }): FrameComponent => ({
    id,
    h,
    v,
    quantTable,
    blocksWide: Math.ceil(Math.ceil((header.width * h) / hMax) / 8),
    blocksHigh: Math.ceil(Math.ceil((header.height * v) / vMax) / 8),
    paddedWide: mcusWide * h,
    paddedHigh: mcusHigh * v,
    dcTable: undefined,
    acTable: undefined,
    predictor: 0,
    eobRun: 0,
  }));
  const totalBlocks = components.reduce((sum, c) => sum + c.paddedWide * c.paddedHigh, 0);
  return {
    width: header.width,
    height: header.height,
    components,
    mcusWide,
    mcusHigh,
    totalBlocks,
  };
}

/**
 * Parses and checks an SOS payload, assigning each named component its tables.
 * @param progressive whether the frame is SOF2, which allows spectral selection and successive approximation
 */
export function readScan(
  data: Uint8Array,
  frame: Frame,
  progressive: boolean,
  dc: (HuffmanTable | undefined)[],
  ac: (HuffmanTable | undefined)[],
): Scan {
  const count = data[0] ?? 0;
  if (count < 1 || count > 4 || data.length !== 4 + 2 * count)
    throw corrupt(`a scan header of ${data.length} bytes for ${count} components`);
  const components: FrameComponent[] = [];
  for (let i = 0; i < count; i++) {
    const component = frame.components.find((c) => c.id === data[1 + 2 * i]);
    if (!component || components.includes(component))
      throw corrupt(`a scan names component ${data[1 + 2 * i]}, unknown or twice`);
    component.dcTable = dc[data[2 + 2 * i]! >> 4];
    component.acTable = ac[data[2 + 2 * i]! & 15];
    components.push(component);
  }
  const at = 1 + 2 * count;
  const scan = {
    components,
    start: data[at]!,
    end: data[at + 1]!,
    high: data[at + 2]! >> 4,
    low: data[at + 2]! & 15,
  };
  if (count > 1 && components.reduce((n, c) => n + c.h * c.v, 0) > 10)
    throw corrupt('an interleaved scan has more than 10 blocks per MCU');
  const { start, end, high, low } = scan;
  const valid = progressive
    ? end <= 63 &&
      start <= end &&
      (start === 0) === (end === 0) &&
      (start === 0 || count === 1) &&
      low <= 13 &&
      (high === 0 || high === low + 1)
    : start === 0 && end === 63 && high === 0 && low === 0;
  if (!valid)
    throw corrupt(
      `invalid scan parameters Ss=${start} Se=${end} Ah=${high} Al=${low} for ${count} components`,
    );
  const needsDc = start === 0 && high === 0;
  const needsAc = end > 0;
  if (components.some((c) => (needsDc && !c.dcTable) || (needsAc && !c.acTable)))
    throw corrupt('a scan uses a Huffman table that was never defined');
  return scan;
}

/** How many blocks a scan codes: its MCU grid when interleaved, the component's own blocks when not. */
export function blocksInScan(scan: Scan, frame: Frame): number {
  const [only] = scan.components;
  if (scan.components.length === 1 && only) return only.blocksWide * only.blocksHigh;
  return scan.components.reduce((n, c) => n + c.paddedWide * c.paddedHigh, 0);
}

/**
 * Visits a scan's blocks in coding order, as (component, block row, block column) of that
 * component's padded grid, and checks the RSTn marker expected after every `restartInterval` MCUs.
 */
export function walkScan(
  reader: BitReader,
  scan: Scan,
  frame: Frame,
  restartInterval: number,
  visit: (component: FrameComponent, row: number, column: number) => void,
): void {
  const components = scan.components;
  const single = components.length === 1 ? components[0] : undefined;
  const wide = single ? single.blocksWide : frame.mcusWide;
  const high = single ? single.blocksHigh : frame.mcusHigh;
  const reset = () => components.forEach((c) => ((c.predictor = 0), (c.eobRun = 0)));
  reset();
  let untilRestart = restartInterval;
  let restarts = 0;
  for (let mcuRow = 0; mcuRow < high; mcuRow++) {
    for (let mcuColumn = 0; mcuColumn < wide; mcuColumn++) {
      if (restartInterval > 0 && untilRestart-- === 0) {
        expectRestart(reader, restarts++);
        reset();
        untilRestart = restartInterval - 1;
      }
      if (single) {
        visit(single, mcuRow, mcuColumn);
        continue;
      }
      for (let i = 0; i < components.length; i++) {
        const c = components[i]!;
        for (let v = 0; v < c.v; v++) {
          for (let h = 0; h < c.h; h++) visit(c, mcuRow * c.v + v, mcuColumn * c.h + h);
        }
      }
    }
  }
}

/** Ends a restart interval: the data must be followed by RSTn, n counting 0..7 cyclically (T.81 B.2.1). */
function expectRestart(reader: BitReader, index: number): void {
  const at = reader.finish();
  const bytes = reader.bytes;
  if (at + 1 >= bytes.length || bytes[at + 1] !== 0xd0 + (index & 7))
    throw corrupt(`expected restart marker RST${index & 7} at byte ${at}`);
  reader.position = at + 2;
}
