/**
 * The dense layers of an MLP asset: as float32 arrays, and uploaded once to the active tfjs backend
 * as the resident weights both dense forward passes (dense-any-backend.ts, dense-wasm-exports.ts) compute with.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, LayerSpec } from '../architecture.ts';
import { dequantize, type ModelAsset, type StoredTensor } from '../asset-format.ts';

/**
 * One dense layer as float32 arrays. The weight from input i to unit u is
 * kernel[i * units + u] * columnScales[u]: int8 values and their per-channel scales stay apart
 * until the backend multiplies them, so loading costs no JS loop over every weight.
 */
export interface DenseLayer {
  inputs: number;
  units: number;
  kernel: Float32Array;
  /** One multiplier per unit (output channel). */
  columnScales: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

/** A dense layer whose dequantized weights live on the backend. */
export interface ResidentDenseLayer {
  inputs: number;
  units: number;
  /** 1 x inputs x units: the rank-3 shape the matMul kernels take, so no reshape per call. */
  kernel: tf.Tensor3D;
  bias: tf.Tensor1D;
  activation: Activation;
}

function tensorOf(asset: ModelAsset, name: string): StoredTensor {
  const tensor = asset.tensors.get(name);
  if (!tensor) throw new Error(`model ${asset.name} has no tensor ${name}`);
  return tensor;
}

/**
 * The asset's dense layers in order. The first layer's column scales include 1/255 so that
 * callers feed raw pixel values: folded into the weights once at load instead of applied to every
 * pixel of every request.
 */
export function denseLayers(asset: ModelAsset): DenseLayer[] {
  const layers: DenseLayer[] = [];
  let inputScale = 1 / 255;
  for (const spec of asset.architecture.layers as LayerSpec[]) {
    if (spec.type !== 'dense') continue;
    const stored = tensorOf(asset, `${spec.weights}/kernel`);
    const [inputs, units] = stored.shape as [number, number];
    const scales = stored.dtype === 'int8' ? stored.scales : new Float32Array(units).fill(1);
    layers.push({
      inputs,
      units,
      // Int8Array -> Float32Array is one native conversion, exact for every int8 value.
      kernel: stored.dtype === 'int8' ? new Float32Array(stored.values) : stored.values,
      columnScales: scales.map((scale) => scale * inputScale),
      bias: dequantize(tensorOf(asset, `${spec.weights}/bias`)),
      activation: spec.activation,
    });
    inputScale = 1;
  }
  return layers;
}

/**
 * Uploads the asset's dense layers to the active backend, each kernel dequantized there by the
 * backend's Multiply kernel (broadcasting the scales over the rows): one native pass, where the same
 * loop in JS costs several milliseconds in a cold isolate. The tensors are tracked by tfjs' engine,
 * so its tensor count shows the resident weights.
 */
export function uploadDenseLayers(asset: ModelAsset): ResidentDenseLayer[] {
  return denseLayers(asset).map(({ inputs, units, kernel, columnScales, bias, activation }) => ({
    inputs,
    units,
    kernel: tf.tidy(() =>
      tf.mul(
        tf.tensor3d(kernel, [1, inputs, units], 'float32'),
        tf.tensor1d(columnScales, 'float32'),
      ),
    ),
    bias: tf.tensor1d(bias, 'float32'),
    activation,
  }));
}

/** Frees the tensors of uploadDenseLayers. */
export function disposeDenseLayers(layers: readonly ResidentDenseLayer[]): void {
  for (const layer of layers) {
    layer.kernel.dispose();
    layer.bias.dispose();
  }
}
