/**
 * The pixel scale of numeric images. The model reads Fashion-MNIST's 0..255; an image sent as
 * `x / 255.0` (the Keras habit) would be read as nearly blank and classified with confidence all the
 * same. So an image whose values all lie within 0..1, some strictly between, is refused unless the
 * request declares `pixel_scale` 1 (query parameter on every API, or the v2 request parameter), in
 * which case its values must lie within 0..1 and are multiplied by 255.
 */
import { PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { badRequest } from '../http/problem.ts';

/** The value of full ink: 255 (the default, Fashion-MNIST's scale) or 1. */
export type PixelScale = 1 | 255;

/** Name of the parameter that declares the scale. */
export const PIXEL_SCALE_PARAMETER = 'pixel_scale';

/** The scale `value` declares (a number or its text; undefined is the default 255); 400 for anything else. */
export function parsePixelScale(value: unknown, where: string): PixelScale {
  if (value === undefined) return 255;
  const scale = typeof value === 'string' ? Number(value) : value;
  if (scale === 1 || scale === 255) return scale;
  throw badRequest(
    `${where} ${PIXEL_SCALE_PARAMETER} must be 1 or 255, got ${JSON.stringify(value)}`,
  );
}

/**
 * Brings the image at `offset` of `pixels` to the 0..255 scale, in place: multiplies by 255 when
 * `scale` is 1 (400 if a value is above 1), refuses a 0..1 image sent without the declaration.
 */
export function applyPixelScale(
  pixels: Float32Array,
  offset: number,
  scale: PixelScale,
  where: string,
): void {
  const image = pixels.subarray(offset, offset + PIXELS_PER_IMAGE);
  let max = 0;
  let fractional = false;
  for (const value of image) {
    if (value > max) max = value;
    if (value > 0 && value < 1) fractional = true;
  }
  if (scale === 1) {
    if (max > 1)
      throw badRequest(
        `${where} holds ${max} with ${PIXEL_SCALE_PARAMETER}=1; values must lie within 0..1`,
      );
    for (let i = 0; i < image.length; i++) image[i] = image[i]! * 255;
  } else if (max <= 1 && fractional) {
    throw badRequest(
      `${where} holds pixels within 0..1 only (largest ${max}): multiply them by 255 (0 = background, 255 = full ink), or declare ${PIXEL_SCALE_PARAMETER}=1`,
    );
  }
}
