/**
 * MaxPoolGrad for the wasm backend, whose stock kernel is slow, for the common case of
 * non-overlapping windows (filter size = stride, e.g. 2x2/2) without leading padding: every input
 * belongs to at most one window, so the gradient is one scatter of dy onto each window's maximum.
 * Ties go to the first maximum in row-major window order, as on the cpu backend.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, type KernelImpl, type WindowAttrs } from './wasm.ts';

interface MaxPoolGradAttrs extends WindowAttrs {
  filterSize: number | [number, number];
}

/** Routes each dy value to the first maximum of its window; dx must be zero-filled. */
function scatterToMaxima(x: Float32Array, dy: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = info;
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * filterHeight;
      const y1 = Math.min(y0 + filterHeight, inHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * filterWidth;
        const x1 = Math.min(x0 + filterWidth, inWidth);
        for (let c = 0; c < channels; c++, at++) {
          let best = ((b * inHeight + y0) * inWidth + x0) * channels + c;
          for (let y = y0; y < y1; y++) {
            for (let xx = x0, i = ((b * inHeight + y) * inWidth + x0) * channels + c; xx < x1; xx++, i += channels) {
              if (x[i]! > x[best]!) best = i;
            }
          }
          dx[best]! += dy[at]!;
        }
      }
    }
  }
}

/** The kernel: non-overlapping windows with no top/left padding; anything else declines. */
export const maxPoolGrad: KernelImpl = ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const nonOverlapping = info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth;
  if (!nonOverlapping || info.padInfo.top !== 0 || info.padInfo.left !== 0) return undefined;
  const dx = backend.makeOutput(input.shape, 'float32');
  const gradient = heapView(backend, dx);
  gradient.fill(0);
  scatterToMaxima(heapView(backend, input), heapView(backend, dy), gradient, info);
  return dx;
};
