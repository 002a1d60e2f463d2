/**
 * What every forward pass of a model asset offers (the dense one on any tfjs backend, the direct
 * one on tfjs' wasm binary, the convolutional one), and the input check they share.
 */
import { PIXELS_PER_IMAGE } from '../architecture.ts';

/** A model with its weights resident on a backend, ready for repeated predictions. */
export interface Network {
  /** Number of output classes. */
  readonly classes: number;
  /**
   * Class probabilities for `count` images given as raw pixel values (0..255, 784 per image,
   * Fashion-MNIST convention). Returns count x classes probabilities, row-major.
   */
  predict(pixels: Float32Array, count: number): Float32Array;
  /** Frees the weights (and any buffers) the network holds on its backend. */
  dispose(): void;
}

/** Throws a RangeError unless `pixels` holds exactly `count` images. */
export function expectPixels(pixels: Float32Array, count: number): void {
  if (pixels.length !== count * PIXELS_PER_IMAGE) {
    throw new RangeError(`expected ${count * PIXELS_PER_IMAGE} pixel values, got ${pixels.length}`);
  }
}
