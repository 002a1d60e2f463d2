/**
 * Batch normalisation over the channel (last) axis, optionally with the relu that follows it, for
 * training on the wasm backend.
 *
 * tfjs-layers' BatchNormalization computes the same thing, but its gradient runs through tfjs'
 * generic graph (moments, FusedBatchNorm and their gradients, broadcasts): some thirty passes over
 * the activations per layer and step, which cost as much as the convolutions themselves. Here each
 * step is one native kernel or a dozen tf ops (batch-norm-step.ts). Weights and their names (gamma, beta, moving_mean, moving_variance), the moving
 * averages (biased batch variance, as tfjs-layers) and the inference output match tfjs-layers, so
 * train/export.ts folds either the same way; test/batch-norm.test.ts compares the two.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormStep } from './batch-norm-step.ts';

/** Construction arguments. */
export interface ChannelBatchNormArgs {
  name: string;
  /** Added to the variance before its square root. */
  epsilon: number;
  /** Weight of the old value in the moving averages, per step. */
  momentum?: number;
  /** Apply relu to the output (fused into the same passes over memory). */
  relu?: boolean;
}

/** The batch-normalisation layer (see the module comment). */
export class ChannelBatchNorm extends tf.layers.Layer {
  static readonly className = 'ChannelBatchNorm';
  private readonly epsilon: number;
  private readonly momentum: number;
  private readonly relu: boolean;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor({ name, epsilon, momentum = 0.99, relu = false }: ChannelBatchNormArgs) {
    super({ name });
    this.epsilon = epsilon;
    this.momentum = momentum;
    this.relu = relu;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = [(inputShape as tf.Shape).at(-1)!];
    this.gamma = this.addWeight('gamma', shape, 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', shape, 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight(
      'moving_mean',
      shape,
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.movingVariance = this.addWeight(
      'moving_variance',
      shape,
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [gamma, beta] = [this.gamma!.read(), this.beta!.read()];
      if (!kwargs.training) {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
        const affine = tf.add(
          tf.mul(x, scale),
          tf.sub(beta, tf.mul(this.movingMean!.read(), scale)),
        );
        return this.relu ? tf.relu(affine) : affine;
      }
      const step = batchNormStep(x.rank, this.epsilon, this.relu);
      const normalise = tf.customGrad((input, scale, offset, save) => {
        const batch = step.forward(input as tf.Tensor, scale as tf.Tensor, offset as tf.Tensor);
        // Tensors made here die with this forward pass (only the value and saved tensors
        // survive), so the moving averages are updated here, from the batch statistics.
        this.updateMovingAverage(this.movingMean!, batch.mean);
        this.updateMovingAverage(this.movingVariance!, batch.variance);
        (save as tf.GradSaveFunc)([batch.value, batch.xHat, batch.gain]);
        return {
          value: batch.value,
          gradFunc: (dy: tf.Tensor, [value, xHat, gain]: tf.Tensor[]) =>
            step.backward(dy, { value: value!, xHat: xHat!, gain: gain! }),
        };
      });
      return normalise(x, gamma, beta);
    });
  }

  /** moving <- moving - (moving - value) * (1 - momentum), as tfjs-layers does. */
  private updateMovingAverage(moving: tf.LayerVariable, value: tf.Tensor): void {
    const old = moving.read();
    moving.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - this.momentum)));
  }
}
