/**
 * Cuts the inflated image data into rows as it arrives, pass by pass, and unfilters each in place:
 * two row buffers (this row and the one above) whatever the image height.
 */
import { corruptPng } from './header.ts';
import type { Pass } from './passes.ts';
import { unfilterRow } from './unfilter.ts';

/** Receives each unfiltered row: its bytes (without the filter byte), its pass and its index in the pass. */
export type RowSink = (row: Uint8Array, pass: Pass, index: number) => void;

/** Splits a stream of filtered rows (PNG 7.3) into unfiltered ones. */
export class RowAssembler {
  private row: Uint8Array;
  private prior: Uint8Array;
  private passIndex = 0;
  private rowIndex = 0;
  /** Bytes of the current row received so far, or -1 while its filter-type byte is awaited. */
  private filled = -1;
  private filter = 0;
  /** Inflated bytes received. */
  received = 0;

  constructor(
    private readonly passes: readonly Pass[],
    /** Bytes per complete pixel, at least 1 (PNG 9.2). */
    private readonly bpp: number,
    private readonly expectedBytes: number,
    private readonly sink: RowSink,
  ) {
    const longest = Math.max(...passes.map((p) => p.rowBytes));
    this.row = new Uint8Array(longest);
    this.prior = new Uint8Array(longest);
  }

  /** True once every row of every pass has arrived. */
  get done(): boolean {
    return this.passIndex === this.passes.length;
  }

  /**
   * Takes the next piece of inflated data.
   * @throws Problem 400 the moment the data runs past the last row, or a row has an unknown filter type.
   */
  write(chunk: Uint8Array): void {
    this.received += chunk.length;
    for (let at = 0; at < chunk.length;) {
      const pass = this.passes[this.passIndex];
      if (!pass)
        throw corruptPng(
          `its image data inflates to more than the ${this.expectedBytes} bytes its header implies`,
        );
      if (this.filled < 0) {
        this.filter = chunk[at++]!;
        this.filled = 0;
        continue;
      }
      const take = Math.min(pass.rowBytes - this.filled, chunk.length - at);
      this.row.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === pass.rowBytes) this.finishRow(pass);
    }
  }

  private finishRow(pass: Pass): void {
    const { row, prior } = this;
    unfilterRow(this.filter, row, prior, pass.rowBytes, this.bpp);
    this.sink(row, pass, this.rowIndex);
    this.row = prior;
    this.prior = row;
    this.filled = -1;
    if (++this.rowIndex < pass.height) return;
    // Each pass starts afresh: its first row is filtered against a row of zeros.
    this.passIndex++;
    this.rowIndex = 0;
    this.prior.fill(0);
  }
}
