/**
 * Kernels that make convolutional training practical on the tfjs wasm backend in Node: it has no
 * Conv2DBackpropFilter at all; its Conv2DBackpropInput and MaxPoolGrad are scalar loops; and the
 * batch-norm gradient's Tile and per-channel Sum/Mean are slow generic paths that cost as much as
 * the convolutions. The replacements route the arithmetic to XNNPACK (via the backend's own Conv2D
 * and BatchMatMul) or do one pass over memory, and leave other cases to the stock kernels;
 * test/train-kernels.test.ts checks them against `cpu`.
 */
import { columnMean, columnSum } from './column-reduce.ts';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInput } from './conv2d-backprop-input.ts';
import { maxPoolGrad } from './max-pool-grad.ts';
import { nativeKernels } from '../native/addon.ts';
import { NATIVE_KERNELS } from './native.ts';
import { tile } from './tile.ts';
import { replaceWasmKernel } from './wasm.ts';

let registered = false;

/** Installs the kernels on the 'wasm' backend (once per process; later calls do nothing). */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  replaceWasmKernel('Conv2DBackpropFilter', conv2dBackpropFilter);
  replaceWasmKernel('Conv2DBackpropInput', conv2dBackpropInput);
  replaceWasmKernel('MaxPoolGrad', maxPoolGrad);
  replaceWasmKernel('Tile', tile);
  replaceWasmKernel('Sum', columnSum);
  replaceWasmKernel('Mean', columnMean);
  registered = true;
}

let nativeRegistered = false;

/**
 * Routes convolutions and single-matrix products on the 'wasm' backend to the native OpenBLAS
 * kernels (train/kernels/native.ts), building them first if needed; once per process. Convnet
 * training only: the seed MLP keeps the wasm kernels its reproducible asset was trained with.
 */
export function registerNativeKernels(): void {
  if (nativeRegistered) return;
  nativeKernels(); // build errors surface here, before training starts
  registerWasmGradientKernels();
  for (const [name, impl] of Object.entries(NATIVE_KERNELS)) replaceWasmKernel(name, impl);
  nativeRegistered = true;
}
