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

/**
 * The same for complete 2x2 windows (the common pooling), unrolled: about twice as fast in JS as
 * the general loop, which is most of this kernel's cost.
 */
function scatterToMaxima2x2(x: Float32Array, dy: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const rowStride = inWidth * channels;
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const top = (b * inHeight + 2 * oy) * rowStride;
      for (let ox = 0; ox < outWidth; ox++) {
        const p0 = top + 2 * ox * channels;
        const [p1, p2, p3] = [p0 + channels, p0 + rowStride, p0 + rowStride + channels];
        for (let c = 0; c < channels; c++) {
          // Row-major window order, strict comparisons: ties go to the first maximum.
          let best = p0 + c;
          let max = x[best]!;
          if (x[p1 + c]! > max) max = x[(best = p1 + c)]!;
          if (x[p2 + c]! > max) max = x[(best = p2 + c)]!;
          if (x[p3 + c]! > max) best = p3 + c;
          dx[best] = dy[at++]!;
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
  const complete2x2 = info.filterHeight === 2 && info.filterWidth === 2 && 2 * info.outHeight <= info.inHeight && 2 * info.outWidth <= info.inWidth;
  (complete2x2 ? scatterToMaxima2x2 : scatterToMaxima)(heapView(backend, input), heapView(backend, dy), gradient, info);
  return dx;
};
