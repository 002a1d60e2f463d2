/**
 * Network architectures as data, so the asset can say what it holds and any reader can rebuild
 * the forward pass without knowing how it was trained.
 */
import { CLASS_COUNT } from './labels.ts';

/** Activation applied after a dense or convolution layer. */
export type Activation = 'relu' | 'softmax' | 'linear';

/** How a convolution or pooling window treats the image border, as in tfjs/Keras. */
export type Padding = 'same' | 'valid';

/**
 * One layer of the forward pass. `weights` names the tensors `${weights}/kernel` and `${weights}/bias`
 * (dense kernels are inputs x units; conv2d kernels are [kernelSize, kernelSize, in, filters], NHWC).
 *
 * `batchNorm` and `dropout` describe training only. A layer with `batchNorm` is batch-normalised
 * between its linear part and its activation while it trains; the export folds the normalisation
 * into its kernel and bias, so an asset's architecture (see servedArchitecture) has neither.
 */
export type LayerSpec =
  | { type: 'flatten' }
  | { type: 'dense'; units: number; activation: Activation; weights: string; batchNorm?: true }
  | {
      type: 'conv2d';
      filters: number;
      kernelSize: number;
      padding: Padding;
      activation: Activation;
      weights: string;
      batchNorm?: true;
    }
  /** Max pooling over non-overlapping poolSize x poolSize windows (stride = poolSize). */
  | { type: 'maxPool2d'; poolSize: number; padding: Padding }
  | { type: 'dropout'; rate: number };

/** A whole network: input shape (without the batch axis) and layers in order. */
export interface Architecture {
  kind: 'mlp' | 'cnn';
  /** [28, 28] for the MLP; [28, 28, 1] (height, width, channels) for convolutional networks. */
  inputShape: [number, number] | [number, number, number];
  layers: LayerSpec[];
}

/** Fashion-MNIST images: 28x28 grayscale, 784 values per image. */
export const IMAGE_SIZE = 28;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;

/** The seed network: Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax). */
export function seedMlp(hiddenUnits = 128, classes = CLASS_COUNT): Architecture {
  return {
    kind: 'mlp',
    inputShape: [IMAGE_SIZE, IMAGE_SIZE],
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: hiddenUnits, activation: 'relu', weights: 'dense1' },
      { type: 'dense', units: classes, activation: 'softmax', weights: 'dense2' },
    ],
  };
}

/**
 * The small convnet (`--arch cnn`, 98,442 parameters as served, 98,778 while training): three 3x3
 * convolutions (16, 32 and 64 filters), each with batch normalisation (folded away at export) and
 * 2x2 max pooling, then a dense layer of 128 and the classifier. The README's CNN section compares it with the variants
 * tried before it.
 */
export function smallCnn(classes = CLASS_COUNT): Architecture {
  const convolution = (filters: number, weights: string): LayerSpec => ({
    type: 'conv2d',
    filters,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    weights,
    batchNorm: true,
  });
  const pool: LayerSpec = { type: 'maxPool2d', poolSize: 2, padding: 'valid' };
  return {
    kind: 'cnn',
    inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
    layers: [
      convolution(16, 'conv1'),
      pool,
      convolution(32, 'conv2'),
      pool,
      convolution(64, 'conv3'),
      pool,
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu', weights: 'dense1' },
      { type: 'dense', units: classes, activation: 'softmax', weights: 'dense2' },
    ],
  };
}

/** The architecture an asset carries: training-only parts (dropout, batch normalisation) removed. */
export function servedArchitecture(architecture: Architecture): Architecture {
  const layers: LayerSpec[] = [];
  for (const layer of architecture.layers) {
    if (layer.type === 'dropout') continue;
    if ('batchNorm' in layer) {
      const { batchNorm: _folded, ...served } = layer;
      layers.push(served);
    } else {
      layers.push(layer);
    }
  }
  return { ...architecture, layers };
}
