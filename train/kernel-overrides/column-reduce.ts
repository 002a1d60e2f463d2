/**
 * Sum and Mean for the wasm backend over every axis but the last of a rank >= 3 tensor, e.g.
 * [B,H,W,C] to [C]: per-channel statistics of batch normalisation and the bias gradients of
 * convolutions. The stock kernels can only reduce innermost axes, so they first transpose the whole
 * tensor (a slow generic loop); here the mean is one XNNPACK average pooling over a single window
 * covering all rows, which reads channels-last memory as it lies, several times faster.
 *
 * Rank-2 reductions (dense layers' bias gradients) stay with the stock kernels: their results are
 * unchanged to the bit, so models trained before, like the seed MLP, train to the same bytes.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, runWasmKernel, viewAs, type KernelImpl } from './wasm.ts';

/** Sum (mean = false) or Mean over all leading axes of rank >= 3 float32 tensors; others decline. */
function columnReduce(mean: boolean): KernelImpl {
  return ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    if (
      x.dtype !== 'float32' ||
      rank < 3 ||
      axes.length !== rank - 1 ||
      axes.some((a, i) => a !== i)
    )
      return undefined;
    const [width, channels] = x.shape.slice(-2) as [number, number];
    const count = util.sizeFromShape(x.shape) / channels;
    // All rows as one image [1, count / width, width, channels], pooled by one window of its size.
    const window = [count / width, width];
    const pooled = runWasmKernel(
      'AvgPool',
      backend,
      { x: viewAs(x, [1, ...window, channels]) },
      { filterSize: window, strides: 1, pad: 'valid' },
    );
    if (!mean) {
      const values = heapView(backend, pooled);
      values.set(values.map((average) => average * count));
    }
    return viewAs(pooled, keepDims ? [...x.shape.slice(0, -1).fill(1), channels] : [channels]);
  };
}

/** The Sum kernel. */
export const columnSum = columnReduce(false);
/** The Mean kernel. */
export const columnMean = columnReduce(true);
