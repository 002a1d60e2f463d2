/**
 * Network architectures as data, so the asset can say what it holds and any reader can rebuild
 * the forward pass without knowing how it was trained.
 */

/** Activation applied after a dense layer. */
export type Activation = 'relu' | 'softmax' | 'linear';

/** One layer of the forward pass. `weights` names the tensors `${weights}/kernel` and `${weights}/bias`. */
export type LayerSpec =
  | { type: 'flatten' }
  | { type: 'dense'; units: number; activation: Activation; weights: string };

/** A whole network: input shape and layers in order. */
export interface Architecture {
  kind: 'mlp';
  inputShape: [number, number];
  layers: LayerSpec[];
}

/** Fashion-MNIST images: 28x28 grayscale, 784 values per image. */
export const IMAGE_SIZE = 28;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;

/** The seed network: Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax). */
export function seedMlp(hiddenUnits = 128, classes = 10): Architecture {
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
