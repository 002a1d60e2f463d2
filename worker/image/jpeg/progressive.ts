/**
 * Progressive Huffman decoding of one block per scan kind (T.81 G.1.2): DC first and refinement,
 * AC first and refinement, into quantised coefficients kept across scans (zigzag order, 64 per
 * block at `at`, so that a band is contiguous). End-of-band runs live on the component (one per AC
 * scan, which has one component). `last[at >> 6]` is the block's highest nonzero zigzag index, so
 * that refining a block inside an end-of-band run stops where its nonzero coefficients end.
 */
import type { BitReader } from './bits.ts';
import type { FrameComponent, Scan } from './frame.ts';
import { corrupt } from './limits.ts';

/** First DC scan: the DC difference, scaled by 2^low. */
export function decodeDcFirst(
  reader: BitReader,
  component: FrameComponent,
  scan: Scan,
  block: Int16Array,
  at: number,
  _last: Uint8Array,
): void {
  const size = reader.decode(component.dcTable!);
  if (size !== 0) component.predictor += reader.signed(size);
  block[at] = component.predictor * (1 << scan.low);
}

/** DC refinement: one more bit of every DC coefficient. */
export function decodeDcRefine(
  reader: BitReader,
  _component: FrameComponent,
  scan: Scan,
  block: Int16Array,
  at: number,
  _last: Uint8Array,
): void {
  if (reader.bits(1) !== 0) block[at]! |= 1 << scan.low;
}

/** First AC scan of a band: coefficients start..end, scaled by 2^low, or the block's share of an EOB run. */
export function decodeAcFirst(
  reader: BitReader,
  component: FrameComponent,
  scan: Scan,
  block: Int16Array,
  at: number,
  last: Uint8Array,
): void {
  if (component.eobRun > 0) {
    component.eobRun--;
    return;
  }
  const table = component.acTable!;
  for (let k = scan.start; k <= scan.end; k++) {
    const symbol = reader.decode(table);
    const size = symbol & 15;
    const run = symbol >> 4;
    if (size === 0) {
      if (run === 15) {
        k += 15; // sixteen zeros (with the loop's k++)
        continue;
      }
      component.eobRun = (1 << run) - 1 + (run > 0 ? reader.bits(run) : 0);
      return;
    }
    k += run;
    if (k > 63) throw corrupt('a block has more than 64 coefficients');
    block[at + k] = reader.signed(size) * (1 << scan.low);
    if (k > last[at >> 6]!) last[at >> 6] = k;
  }
}

/**
 * AC refinement (T.81 G.1.2.3): one more bit of every coefficient already nonzero in the band, and
 * newly nonzero coefficients (+-1 at this bit) placed by counting the zero ones they skip.
 */
export function decodeAcRefine(
  reader: BitReader,
  component: FrameComponent,
  scan: Scan,
  block: Int16Array,
  at: number,
  last: Uint8Array,
): void {
  const plus = 1 << scan.low;
  const minus = -1 << scan.low;
  const end = scan.end;
  let k = scan.start;
  if (component.eobRun === 0) {
    const table = component.acTable!;
    for (; k <= end; k++) {
      const symbol = reader.decode(table);
      let run = symbol >> 4;
      const size = symbol & 15;
      let value = 0;
      if (size !== 0) {
        if (size !== 1) throw corrupt('a refinement scan codes a coefficient larger than one bit');
        value = reader.bits(1) !== 0 ? plus : minus;
      } else if (run !== 15) {
        component.eobRun = (1 << run) + (run > 0 ? reader.bits(run) : 0);
        break;
      }
      // Refine nonzero coefficients on the way; stop at the run-th zero one, where the new one goes.
      for (; k <= end; k++) {
        const coefficient = block[at + k]!;
        if (coefficient !== 0) {
          if (reader.bits(1) !== 0 && (coefficient & plus) === 0)
            block[at + k] = coefficient + (coefficient >= 0 ? plus : minus);
        } else if (--run < 0) break;
      }
      if (value !== 0 && k <= end) {
        block[at + k] = value;
        if (k > last[at >> 6]!) last[at >> 6] = k;
      }
    }
  }
  if (component.eobRun > 0) {
    // Inside an end-of-band run: only the refinement bits of the nonzero coefficients remain.
    const stop = Math.min(end, last[at >> 6]!);
    for (; k <= stop; k++) {
      const coefficient = block[at + k]!;
      if (coefficient !== 0 && reader.bits(1) !== 0 && (coefficient & plus) === 0)
        block[at + k] = coefficient + (coefficient >= 0 ? plus : minus);
    }
    component.eobRun--;
  }
}
