/** Reverses PNG's per-row filters (PNG 9.2) in place. */
import { corruptPng } from './header.ts';

/**
 * Unfilters `row` in place given the previous unfiltered row of the same pass (all zeros for its
 * first row); `bpp` is the distance to the corresponding byte of the previous pixel (at least 1).
 * @throws Problem 400 for a filter type other than 0..4.
 */
export function unfilterRow(
  filter: number,
  row: Uint8Array,
  prior: Uint8Array,
  length: number,
  bpp: number,
): void {
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < length; i++) row[i] = row[i]! + row[i - bpp]!;
      return;
    case 2:
      for (let i = 0; i < length; i++) row[i] = row[i]! + prior[i]!;
      return;
    case 3:
      for (let i = 0; i < bpp; i++) row[i] = row[i]! + (prior[i]! >> 1);
      for (let i = bpp; i < length; i++) row[i] = row[i]! + ((row[i - bpp]! + prior[i]!) >> 1);
      return;
    case 4:
      for (let i = 0; i < bpp; i++) row[i] = row[i]! + prior[i]!;
      for (let i = bpp; i < length; i++)
        row[i] = row[i]! + paeth(row[i - bpp]!, prior[i]!, prior[i - bpp]!);
      return;
    default:
      throw corruptPng(`a row has filter type ${filter}; only 0 to 4 exist`);
  }
}

/** The neighbour (left, up or up-left) closest to left + up - upLeft, ties in that order. */
function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const pa = Math.abs(p - left);
  const pb = Math.abs(p - up);
  const pc = Math.abs(p - upLeft);
  return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
}
