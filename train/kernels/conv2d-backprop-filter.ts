/**
 * Conv2DBackpropFilter for the wasm backend, which has none: without it no convolution trains.
 *
 * dW[ky,kx,ci,co] = sum over (b,oy,ox) of x[b, oy*s+ky-pad, ox*s+kx-pad, ci] * dy[b,oy,ox,co], i.e.
 * patchesᵀ · dy with patchesᵀ the [kh*kw*ci, b*oh*ow] im2col matrix. Writing im2col transposed in
 * JS lets the product run as an untransposed BatchMatMul, which the wasm backend hands to XNNPACK.
 * For 'same'-sized stride-1 convolutions (what the CNN trains) each im2col row is a whole channel
 * plane shifted, so it is built with memory copies from a channel-major copy of x; other
 * geometries gather it element by element, which is several times slower per element in JS.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, runWasmKernel, viewAs, type KernelImpl, type WindowAttrs } from './wasm.ts';

interface BackpropFilterAttrs extends WindowAttrs {
  dataFormat: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
}

/**
 * Fills `out` ([kh*kw*inChannels] rows of batch*outHeight*outWidth columns) with the transposed
 * im2col of x. Reads x in memory order and writes one sequential stream per input channel: the
 * other loop order, one row at a time, reads x with a stride of inChannels and is several times slower.
 */
function im2colTransposed(x: Float32Array, info: backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const columns = batchSize * outHeight * outWidth;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const firstColumn = (b * outHeight + oy) * outWidth;
      for (let ky = 0; ky < filterHeight; ky++) {
        const iy = oy * strideHeight + ky - top;
        const rowInside = iy >= 0 && iy < inHeight;
        for (let kx = 0; kx < filterWidth; kx++) {
          const tapRow = (ky * filterWidth + kx) * inChannels;
          for (let ox = 0; ox < outWidth; ox++) {
            const ix = ox * strideWidth + kx - left;
            let at = tapRow * columns + firstColumn + ox;
            if (rowInside && ix >= 0 && ix < inWidth) {
              const source = ((b * inHeight + iy) * inWidth + ix) * inChannels;
              for (let ci = 0; ci < inChannels; ci++, at += columns) out[at] = x[source + ci]!;
            } else {
              for (let ci = 0; ci < inChannels; ci++, at += columns) out[at] = 0;
            }
          }
        }
      }
    }
  }
}

/**
 * The same rows for stride 1 and output size = input size: row (ky, kx, ci) is channel ci's
 * [batch, height, width] plane (channel-major x) shifted by (ky - top, kx - left), copied as one
 * run, then zeroed where the shift moved pixels across an image's edge.
 */
function im2colShifted(channelMajor: Float32Array, info: backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth } = info;
  const plane = batchSize * inHeight * inWidth;
  for (let ky = 0; ky < filterHeight; ky++) {
    const dy = ky - info.padInfo.top;
    for (let kx = 0; kx < filterWidth; kx++) {
      const dx = kx - info.padInfo.left;
      const shift = dy * inWidth + dx;
      const [from, to] = [Math.max(0, -shift), Math.min(plane, plane - shift)];
      for (let ci = 0; ci < inChannels; ci++) {
        const row = ((ky * filterWidth + kx) * inChannels + ci) * plane;
        out.fill(0, row, row + from);
        out.set(channelMajor.subarray(ci * plane + from + shift, ci * plane + to + shift), row + from);
        out.fill(0, row + to, row + plane);
        // Columns ox with ox + dx outside the image, in every image row.
        const [left, right] = [Math.max(0, -dx), Math.min(inWidth, inWidth - dx)];
        for (let line = row; line < row + plane; line += inWidth) {
          for (let ox = 0; ox < left; ox++) out[line + ox] = 0;
          for (let ox = right; ox < inWidth; ox++) out[line + ox] = 0;
        }
        // Rows oy with oy + dy outside the image, in every image.
        const [top, bottom] = [Math.max(0, -dy), Math.min(inHeight, inHeight - dy)];
        for (let image = row; image < row + plane; image += inHeight * inWidth) {
          out.fill(0, image, image + top * inWidth);
          out.fill(0, image + bottom * inWidth, image + inHeight * inWidth);
        }
      }
    }
  }
}

/** The kernel: NHWC only (the layout tfjs-layers and the wasm backend use). */
export const conv2dBackpropFilter: KernelImpl = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as BackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const columns = info.batchSize * info.outHeight * info.outWidth;
  const shifted = info.strideHeight === 1 && info.strideWidth === 1 && info.outHeight === info.inHeight && info.outWidth === info.inWidth;
  // Channel-major x for the shifted copies: one native transpose of 1/(kh*kw) of the im2col volume.
  const source = shifted && info.inChannels > 1 ? runWasmKernel('Transpose', backend, { x }, { perm: [3, 0, 1, 2] }) : x;
  const patches = backend.makeOutput([1, rows, columns], 'float32');
  (shifted ? im2colShifted : im2colTransposed)(heapView(backend, source), info, heapView(backend, patches));
  if (source !== x) backend.disposeData(source.dataId);
  const b = viewAs(dy, [1, columns, info.outChannels]);
  const product = runWasmKernel('BatchMatMul', backend, { a: patches, b }, { transposeA: false, transposeB: false });
  backend.disposeData(patches.dataId);
  return viewAs(product, filterShape);
};
