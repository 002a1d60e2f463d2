/**
 * A request's pixel budgets, spent image by image from the headers before anything is decoded:
 * pixels as stored (what entropy decoding and inflating pay for) and pixels decoded after scaling
 * (what the rasters hold). A batch of base64 images shares one budget, so however many images a
 * request carries, it costs at most what one photo of the limits' size would.
 */
import { contentTooLarge } from '../http/problem.ts';
import { decodedSize } from './scale.ts';
import type { ImageHeader } from './sniff.ts';

/** The limits a budget enforces (worker/env.ts Limits has them). */
export interface PixelLimits {
  /** Most pixels decoded after scaling, all images together. */
  maxImagePixels: number;
  /** Most pixels as stored in the files, all images together. */
  maxSourcePixels: number;
}

/** Pixels a request may still decode. */
export class PixelBudget {
  private source = 0;
  private decoded = 0;
  private images = 0;

  constructor(private readonly limits: PixelLimits) {
    if (!(limits.maxImagePixels > 0 && limits.maxSourcePixels > 0))
      throw new RangeError('pixel limits must be positive');
  }

  /**
   * Admits the image `header` describes, or refuses it before any decoding.
   * @throws Problem 413 naming the image's size, the limit and what earlier images of the request took.
   */
  admit(header: ImageHeader): void {
    const source = header.width * header.height;
    const scaled = decodedSize(header.type, header.width, header.height);
    const decoded = scaled.width * scaled.height;
    const others =
      this.images > 0
        ? ` for all images of the request together, and the others took ${this.source}`
        : '';
    if (this.source + source > this.limits.maxSourcePixels) {
      throw contentTooLarge(
        `the image is ${header.width}x${header.height} = ${source} pixels; the limit is ${this.limits.maxSourcePixels}${others}`,
      );
    }
    if (this.decoded + decoded > this.limits.maxImagePixels) {
      const took =
        this.images > 0
          ? ` for all images of the request together, and the others took ${this.decoded}`
          : '';
      throw contentTooLarge(
        `the image decodes to ${scaled.width}x${scaled.height} = ${decoded} pixels; the limit is ${this.limits.maxImagePixels}${took}`,
      );
    }
    this.source += source;
    this.decoded += decoded;
    this.images++;
  }
}
