/**
 * Convolution and matrix-product kernels for the wasm backend that call the native OpenBLAS addon
 * (train/native/) on the backend's own heap: convnet training spends most of its time in these
 * products, which run several times faster there than in XNNPACK at 128-bit wasm SIMD. Shapes
 * they do not cover (NCHW, dilation, batched products, other activations) decline to the kernel
 * registered before them. test/kernel-overrides.test.ts checks them against `cpu`.
 */
import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs';
import { BATCH_NORM_KERNELS } from '../batch-norm-step.ts';
import { nativeKernels } from '../native/addon.ts';
import { heapView, type KernelImpl, type WasmBackend, type WindowAttrs } from './wasm.ts';

type Shape4 = [number, number, number, number];

interface ConvAttrs extends WindowAttrs {
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
}

/** The heap view of an optional input (a bias), or null, which the addon reads as absent. */
const optionalView = (backend: WasmBackend, t: TensorInfo | undefined): Float32Array | null =>
  t ? heapView(backend, t) : null;

/** The addon's geometry record for an NHWC, dilation-1 convolution. */
function geometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
}

/** The convolution's geometry, or undefined for what the addon does not do (NCHW, dilation). */
function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): backend_util.Conv2DInfo | undefined {
  if (attrs.dataFormat === 'NCHW') return undefined;
  const info = backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return info.dilationHeight === 1 && info.dilationWidth === 1 ? info : undefined;
}

/** Conv2D and FusedConv2D with a bias and linear or relu activation. */
function convForward(fused: boolean): KernelImpl {
  return ({ inputs, attrs, backend }) => {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<
      string,
      TensorInfo | undefined
    >;
    const activation = fused ? (attrs['activation'] as string) : 'linear';
    if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))
      return undefined;
    const info = convInfo(x!.shape, filter!.shape, attrs as unknown as ConvAttrs);
    if (!info || (bias && util.sizeFromShape(bias.shape) !== info.outChannels)) return undefined;
    const out = backend.makeOutput(info.outShape, 'float32');
    nativeKernels().convForward(
      heapView(backend, x!),
      heapView(backend, filter!),
      optionalView(backend, bias),
      activation === 'relu',
      heapView(backend, out),
      geometry(info),
    );
    return out;
  };
}

/** The filter gradient: im2col(x)ᵀ · dy. */
const convFilterGradient: KernelImpl = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const filterShape = attrs['filterShape'] as number[];
  const info = convInfo(x.shape, filterShape, attrs as unknown as ConvAttrs);
  if (!info) return undefined;
  const dFilter = backend.makeOutput(filterShape, 'float32');
  nativeKernels().convFilterGradient(
    heapView(backend, x),
    heapView(backend, dy),
    heapView(backend, dFilter),
    geometry(info),
  );
  return dFilter;
};

/** The input gradient: col2im(dy · filterᵀ). */
const convInputGradient: KernelImpl = ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const inputShape = attrs['inputShape'] as number[];
  const info = convInfo(inputShape, filter.shape, attrs as unknown as ConvAttrs);
  if (!info) return undefined;
  const dx = backend.makeOutput(inputShape, 'float32');
  nativeKernels().convInputGradient(
    heapView(backend, dy),
    heapView(backend, filter),
    heapView(backend, dx),
    geometry(info),
  );
  return dx;
};

/** MaxPoolGrad for non-overlapping windows without top/left padding (e.g. 2x2/2 'valid'). */
const maxPoolGradient: KernelImpl = ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as WindowAttrs & {
    filterSize: number | [number, number];
  };
  const info = backend_util.computePool2DInfo(
    input.shape as Shape4,
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const nonOverlapping =
    info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth;
  if (!nonOverlapping || info.padInfo.top !== 0 || info.padInfo.left !== 0) return undefined;
  const dx = backend.makeOutput(input.shape, 'float32');
  nativeKernels().maxPoolGrad(
    heapView(backend, input),
    heapView(backend, dy),
    heapView(backend, dx),
    geometry(info),
  );
  return dx;
};

/** Rows and columns of a matrix operand, or undefined when its leading (batch) axes hold more than one matrix. */
function matrixOf(t: TensorInfo, transposed: boolean): [number, number] | undefined {
  const rank = t.shape.length;
  if (rank < 2 || t.dtype !== 'float32' || util.sizeFromShape(t.shape.slice(0, -2)) !== 1)
    return undefined;
  const [rows, columns] = t.shape.slice(-2) as [number, number];
  return transposed ? [columns, rows] : [rows, columns];
}

/** BatchMatMul (bias and activation absent) and _FusedMatMul (bias, linear or relu) of single matrices. */
function matMul(fused: boolean): KernelImpl {
  return ({ inputs, attrs, backend }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
    };
    const activation = fused ? (attrs['activation'] as string) : 'linear';
    const left = matrixOf(a!, transposeA);
    const right = matrixOf(b!, transposeB);
    if (
      preluActivationWeights ||
      (activation !== 'linear' && activation !== 'relu') ||
      !left ||
      !right ||
      left[1] !== right[0]
    )
      return undefined;
    const [m, k, n] = [left[0], left[1], right[1]];
    if (bias && util.sizeFromShape(bias.shape) !== n) return undefined;
    const out = backend.makeOutput([...a!.shape.slice(0, -2).fill(1), m, n], 'float32');
    nativeKernels().matMul(
      heapView(backend, a!),
      heapView(backend, b!),
      optionalView(backend, bias),
      activation === 'relu',
      heapView(backend, out),
      m,
      n,
      k,
      transposeA,
      transposeB,
    );
    return out;
  };
}

/** Rows (all leading axes) and channels (the last axis) of a channels-last tensor. */
function rowsAndChannels(t: TensorInfo): [number, number] {
  const channels = t.shape.at(-1)!;
  return [util.sizeFromShape(t.shape) / channels, channels];
}

/** x, gamma, beta -> [y (relu'd if asked), xHat, batch mean, batch variance (biased), gain = gamma / sqrt(variance + epsilon)]. */
const batchNormForward: KernelImpl = ({ inputs, attrs, backend }) => {
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const [rows, channels] = rowsAndChannels(x);
  const outputs = [x.shape, x.shape, [channels], [channels], [channels]].map((shape) =>
    backend.makeOutput(shape, 'float32'),
  );
  const [y, xHat, mean, variance, gain] = outputs.map((t) => heapView(backend, t));
  const { epsilon, relu } = attrs as { epsilon: number; relu: boolean };
  nativeKernels().batchNormForward(
    heapView(backend, x),
    heapView(backend, gamma),
    heapView(backend, beta),
    epsilon,
    relu,
    y!,
    xHat!,
    mean!,
    variance!,
    gain!,
    rows,
    channels,
  );
  return outputs;
};

/** dy, xHat, gain, y (the forward output, for the relu mask) -> [dx, dGamma, dBeta]. */
const batchNormBackward: KernelImpl = ({ inputs, attrs, backend }) => {
  const { dy, xHat, gain, y } = inputs as {
    dy: TensorInfo;
    xHat: TensorInfo;
    gain: TensorInfo;
    y: TensorInfo;
  };
  const [rows, channels] = rowsAndChannels(dy);
  const outputs = [dy.shape, [channels], [channels]].map((shape) =>
    backend.makeOutput(shape, 'float32'),
  );
  const [dx, dGamma, dBeta] = outputs.map((t) => heapView(backend, t));
  const views = [dy, xHat, gain, y].map((t) => heapView(backend, t));
  nativeKernels().batchNormBackward(
    views[0]!,
    views[1]!,
    views[2]!,
    views[3]!,
    attrs['relu'] as boolean,
    dx!,
    dGamma!,
    dBeta!,
    rows,
    channels,
  );
  return outputs;
};

/** The kernels, by tfjs kernel name. */
export const NATIVE_KERNELS: Record<string, KernelImpl> = {
  Conv2D: convForward(false),
  FusedConv2D: convForward(true),
  Conv2DBackpropFilter: convFilterGradient,
  Conv2DBackpropInput: convInputGradient,
  MaxPoolGrad: maxPoolGradient,
  BatchMatMul: matMul(false),
  _FusedMatMul: matMul(true),
  [BATCH_NORM_KERNELS.forward]: batchNormForward,
  [BATCH_NORM_KERNELS.backward]: batchNormBackward,
};
