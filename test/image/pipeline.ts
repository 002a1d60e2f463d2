/** The Worker's image pipeline as a request runs it, for tests in Node: default limits, no Images binding. */
import { DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_SOURCE_PIXELS } from '../../worker/env.ts';
import { PixelBudget, type PixelLimits } from '../../worker/image/budget.ts';
import { imageToPixels, loadImageDecoders } from '../../worker/image/index.ts';

/** The 784 model pixels of `bytes`, as POST /v1/classify computes them; `limits` override the defaults. */
export async function pixelsOf(
  bytes: Uint8Array,
  declaredType?: string,
  limits: Partial<PixelLimits> = {},
): Promise<Float32Array> {
  await loadImageDecoders();
  const budget = new PixelBudget({
    maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
    maxSourcePixels: DEFAULT_MAX_SOURCE_PIXELS,
    ...limits,
  });
  return imageToPixels(bytes, { budget, imagesBindingMinPixels: Infinity }, declaredType);
}
