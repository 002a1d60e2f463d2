/**
 * The forward pass of convolutional assets (architecture kind 'cnn'), for createNetwork: fused
 * conv2d+bias+relu, max pooling, flatten, fused dense layers, softmax, all NHWC on whichever
 * tfjs backend is active. Batch normalisation was folded into the kernels at export, so the
 * served graph has no normalisation op.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_SIZE, type LayerSpec } from '../architecture.ts';
import { dequantize, type ModelAsset } from '../asset-format.ts';
import { expectPixels, type Network } from './network.ts';

/** A layer with its weights resident on the backend, as one step of the forward pass. */
type Step = (x: tf.Tensor) => tf.Tensor;

/** The backend kernels the forward pass runs (the Worker registers only the kernels it needs). */
const KERNELS = [tf.FusedConv2D, tf.MaxPool, tf.Reshape, tf._FusedMatMul, tf.Softmax];

function weightsOf(asset: ModelAsset, name: string, scale: number): Float32Array {
  const stored = asset.tensors.get(name);
  if (!stored) throw new Error(`model ${asset.name} has no tensor ${name}`);
  const values = dequantize(stored);
  return scale === 1 ? values : values.map((v) => v * scale);
}

/**
 * Uploads the weights once. The first weighted layer's kernel is pre-divided by 255 so that
 * requests feed raw pixel values (convolution and dense layers are linear in their input).
 */
export function createConvNetwork(asset: ModelAsset): Network {
  const backend = tf.getBackend();
  const missing = KERNELS.filter((kernel) => !tf.getKernel(kernel, backend));
  if (missing.length)
    throw new Error(
      `model ${asset.name} needs the ${missing.join(', ')} kernel(s), which the tfjs ${backend} backend lacks`,
    );
  const resident: tf.Tensor[] = [];
  const upload = <T extends tf.Tensor>(tensor: T): T => (resident.push(tensor), tensor);
  let inputScale = 1 / 255;
  let classes = 0;
  const steps: Step[] = (asset.architecture.layers as LayerSpec[]).flatMap((spec): Step[] => {
    switch (spec.type) {
      case 'flatten':
        return [(x) => tf.reshape(x, [x.shape[0]!, -1])];
      case 'dropout':
        return [];
      case 'maxPool2d':
        return [(x) => tf.maxPool(x as tf.Tensor4D, spec.poolSize, spec.poolSize, spec.padding)];
      case 'conv2d':
      case 'dense': {
        if (spec.batchNorm)
          throw new Error(
            `model ${asset.name}: layer ${spec.weights} still has batch normalisation; export folds it`,
          );
        const shape = asset.tensors.get(`${spec.weights}/kernel`)?.shape ?? [];
        const kernel = upload(
          tf.tensor(weightsOf(asset, `${spec.weights}/kernel`, inputScale), shape, 'float32'),
        );
        const bias = upload(tf.tensor1d(weightsOf(asset, `${spec.weights}/bias`, 1), 'float32'));
        inputScale = 1;
        classes = bias.shape[0];
        const activation = spec.activation === 'relu' ? 'relu' : 'linear';
        const softmax = spec.activation === 'softmax';
        const linear: Step =
          spec.type === 'conv2d'
            ? (x) =>
                tf.fused.conv2d({
                  x: x as tf.Tensor4D,
                  filter: kernel as tf.Tensor4D,
                  strides: 1,
                  pad: spec.padding,
                  bias,
                  activation,
                })
            : (x) =>
                tf.fused.matMul({
                  a: x as tf.Tensor2D,
                  b: kernel as tf.Tensor2D,
                  bias,
                  activation,
                });
        return softmax ? [linear, (x) => tf.softmax(x)] : [linear];
      }
    }
  });

  return {
    classes,
    predict(pixels, count) {
      expectPixels(pixels, count);
      const output = tf.tidy(() => {
        let x: tf.Tensor = tf.tensor4d(pixels, [count, IMAGE_SIZE, IMAGE_SIZE, 1], 'float32');
        for (const step of steps) x = step(x);
        return x;
      });
      const probabilities = output.dataSync() as Float32Array;
      output.dispose();
      return probabilities;
    },
    dispose() {
      tf.dispose(resident);
    },
  };
}
