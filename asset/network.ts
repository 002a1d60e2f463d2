/**
 * Inference from a decoded asset on whichever tfjs backend is active.
 * Shared by the build (to evaluate the quantized model) and the Worker (to serve it), so both
 * compute the very same graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PIXELS_PER_IMAGE, type Activation, type LayerSpec } from './architecture.ts';
import { createConvNetwork } from './conv-network.ts';
import { dequantize, type ModelAsset, type StoredTensor } from './format.ts';

/** A model with its weights resident as tensors, ready for repeated predictions. */
export interface Network {
  /** Number of output classes. */
  readonly classes: number;
  /**
   * Class probabilities for `count` images given as raw pixel values (0..255, 784 per image,
   * Fashion-MNIST convention). Returns count x classes probabilities, row-major.
   */
  predict(pixels: Float32Array, count: number): Float32Array;
  /** Frees the weight tensors. */
  dispose(): void;
}

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

/** A dense layer resident on the backend, with the attributes of its fused matMul+bias(+relu). */
interface ResidentLayer {
  /** 1 x inputs x units: the rank-3 shape the matMul kernels take, so no reshape per call. */
  kernel: tf.Tensor3D;
  bias: tf.Tensor1D;
  attrs: tf.NamedAttrMap;
  softmax: boolean;
}

/** A kernel of one backend, called directly: no op-level checks, reshapes, tape or engine tracking. */
type BoundKernel = (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => tf.TensorInfo;

function bindKernel(kernelName: string, backendName: string, backend: tf.KernelBackend): BoundKernel {
  const config = tf.getKernel(kernelName, backendName);
  if (!config) throw new Error(`the tfjs ${backendName} backend has no ${kernelName} kernel`);
  return (inputs, attrs) => config.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo;
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
 * Uploads the asset's weights once, as resident tensors on the active backend, and binds the
 * network to that backend. A prediction calls the backend's kernels directly on the resident
 * weights (fused matMul+bias+relu, then matMul+bias and softmax): tfjs' op layer costs several
 * times the arithmetic of one image (reshapes, gradient wrappers, engine bookkeeping), and the
 * kernels are the same ones the op layer would run, so the results are identical.
 */
export function createNetwork(asset: ModelAsset): Network {
  if (asset.architecture.kind === 'cnn') return createConvNetwork(asset);
  const backendName = tf.getBackend();
  const backend = tf.backend();
  const fusedMatMul = bindKernel(tf._FusedMatMul, backendName, backend);
  const softmax = bindKernel(tf.Softmax, backendName, backend);
  const layers: ResidentLayer[] = denseLayers(asset).map((layer) => ({
    // Dequantized by the backend's Multiply kernel, broadcasting the scales over the rows.
    kernel: tf.tidy(() => tf.mul(tf.tensor3d(layer.kernel, [1, layer.inputs, layer.units], 'float32'), tf.tensor1d(layer.columnScales, 'float32'))),
    bias: tf.tensor1d(layer.bias, 'float32'),
    attrs: { transposeA: false, transposeB: false, activation: layer.activation === 'relu' ? 'relu' : 'linear', leakyreluAlpha: 0 },
    softmax: layer.activation === 'softmax',
  }));
  const classes = layers[layers.length - 1]?.bias.shape[0] ?? 0;

  return {
    classes,
    predict(pixels, count) {
      if (pixels.length !== count * PIXELS_PER_IMAGE) {
        throw new RangeError(`expected ${count * PIXELS_PER_IMAGE} pixel values, got ${pixels.length}`);
      }
      const shape = [1, count, PIXELS_PER_IMAGE];
      // Everything this call allocates on the backend, freed below even if a kernel throws.
      const produced: tf.TensorInfo[] = [{ dataId: backend.write(pixels, shape, 'float32'), shape, dtype: 'float32' }];
      const last = (): tf.TensorInfo => produced[produced.length - 1]!;
      try {
        for (const layer of layers) {
          produced.push(fusedMatMul({ a: last(), b: layer.kernel, bias: layer.bias }, layer.attrs));
          if (layer.softmax) produced.push(softmax({ logits: last() }, { dim: 2 }));
        }
        // readSync copies out of the backend: the result must outlive the freed output.
        return backend.readSync(last().dataId) as Float32Array;
      } finally {
        for (const info of produced) backend.disposeData(info.dataId);
      }
    },
    dispose() {
      for (const layer of layers) {
        layer.kernel.dispose();
        layer.bias.dispose();
      }
    },
  };
}
