/**
 * Sum and Mean for the wasm backend when every axis but the last is reduced, e.g. [B,H,W,C] to
 * [C]: per-channel statistics of batch normalisation and the bias gradients of convolutions. The
 * stock kernels can only reduce innermost axes, so they first transpose the whole tensor; one pass
 * over memory replaces the transpose and the reduction. Each channel is summed in float32 in row
 * order, exactly as the stock kernels do after their transpose, so results are bit-identical (and
 * models that trained before, like the seed MLP, train to the same bytes).
 */
import { util, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, type KernelImpl } from './wasm.ts';

/** Float32 sums of the columns of `values` viewed as rows of `channels`, each accumulated top to bottom. */
function columnSums(values: Float32Array, channels: number): Float32Array {
  // Each += rounds to float32 on store: float32 addition exactly (rounding twice, via float64, is
  // harmless for addition and division at these precisions).
  const sums = new Float32Array(channels);
  for (let row = 0; row < values.length; row += channels) {
    for (let c = 0; c < channels; c++) sums[c]! += values[row + c]!;
  }
  return sums;
}

/** Sum (divisor 1) or Mean (divisor: the reduced element count) over all leading axes. */
function columnReduce(mean: boolean): KernelImpl {
  return ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return undefined;
    const channels = x.shape[rank - 1]!;
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).fill(1), channels] : [channels], 'float32');
    const sums = columnSums(heapView(backend, x), channels);
    const rows = util.sizeFromShape(x.shape) / channels;
    heapView(backend, out).set(mean ? sums.map((s) => s / rows) : sums);
    return out;
  };
}

/** The Sum kernel. */
export const columnSum = columnReduce(false);
/** The Mean kernel. */
export const columnMean = columnReduce(true);
