/**
 * Conv2DBackpropInput for the wasm backend, whose stock kernel is a scalar loop.
 *
 * With stride 1, the input gradient is a forward convolution of dy with the filter rotated by 180°
 * and its channel axes swapped, padded by (kernel - 1 - forward padding) on each side. The forward
 * Conv2D of the wasm backend runs on XNNPACK. Strided convolutions decline to the stock kernel.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, runWasmKernel, type KernelImpl, type WindowAttrs } from './wasm.ts';

interface BackpropInputAttrs extends WindowAttrs {
  dataFormat: 'NHWC' | 'NCHW';
  inputShape: [number, number, number, number];
}

/** Writes filter[kh-1-ky, kw-1-kx, ci, co] to out[ky, kx, co, ci]. */
function rotateFilter(filter: Float32Array, [kh, kw, inChannels, outChannels]: number[], out: Float32Array): void {
  for (let ky = 0; ky < kh!; ky++) {
    for (let kx = 0; kx < kw!; kx++) {
      const source = ((kh! - 1 - ky) * kw! + (kw! - 1 - kx)) * inChannels! * outChannels!;
      const target = (ky * kw! + kx) * outChannels! * inChannels!;
      for (let ci = 0; ci < inChannels!; ci++) {
        for (let co = 0; co < outChannels!; co++) out[target + co * inChannels! + ci] = filter[source + ci * outChannels! + co]!;
      }
    }
  }
}

/** The kernel: NHWC, stride 1; anything else declines. */
export const conv2dBackpropInput: KernelImpl = ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as BackpropInputAttrs;
  if (dataFormat === 'NCHW') return undefined;
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  const { filterHeight: kh, filterWidth: kw, padInfo } = info;
  const rotated = backend.makeOutput([kh, kw, info.outChannels, info.inChannels], 'float32');
  rotateFilter(heapView(backend, filter), filter.shape, heapView(backend, rotated));
  const padding: backend_util.ExplicitPadding = [
    [0, 0],
    [kh - 1 - padInfo.top, kh - 1 - padInfo.bottom],
    [kw - 1 - padInfo.left, kw - 1 - padInfo.right],
    [0, 0],
  ];
  const dx = runWasmKernel('Conv2D', backend, { x: dy, filter: rotated }, { strides: 1, pad: padding, dataFormat: 'NHWC', dilations: 1 });
  backend.disposeData(rotated.dataId);
  return dx;
};
