/**
 * Batch normalisation over the channel (last) axis, for training on the wasm backend.
 *
 * tfjs-layers' BatchNormalization computes the same thing, but its gradient runs through tfjs'
 * generic graph (moments, FusedBatchNorm and their gradients, broadcasts): some thirty passes over
 * the activations per layer and step, which cost as much as the convolutions themselves. Here the
 * gradient is written out (dx = gamma/sigma * (dy - mean(dy) - x̂ * mean(dy * x̂))), about a dozen
 * passes per step. Weights and their names (gamma, beta, moving_mean, moving_variance), the moving
 * averages (biased batch variance, as tfjs-layers) and the inference output match tfjs-layers, so
 * train/export.ts folds either the same way; test/batch-norm.test.ts compares the two.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Kernels that compute a whole training step of this layer in one pass each, when a backend has
 * them (train/kernels/native.ts registers them on wasm for convnet training); otherwise the layer
 * runs the tf ops below. forward: {x, gamma, beta}, {epsilon} -> [y, xHat, mean, variance, gain];
 * backward: {dy, xHat, gain} -> [dx, dGamma, dBeta].
 */
export const BATCH_NORM_KERNELS = { forward: 'ChannelBatchNormForward', backward: 'ChannelBatchNormBackward' } as const;

/** One training step's forward results; gain = gamma / sqrt(variance + epsilon). */
interface BatchForward {
  value: tf.Tensor;
  xHat: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  gain: tf.Tensor;
}

function opsForward(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axes: number[], epsilon: number): BatchForward {
  const { mean, variance } = tf.moments(x, axes);
  const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
  const xHat = tf.mul(tf.sub(x, mean), inverseStd);
  return { value: tf.add(tf.mul(xHat, gamma), beta), xHat, mean, variance, gain: tf.mul(gamma, inverseStd) };
}

function fusedForward(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, _axes: number[], epsilon: number): BatchForward {
  const [value, xHat, mean, variance, gain] = tf.engine().runKernel(BATCH_NORM_KERNELS.forward, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  return { value: value!, xHat: xHat!, mean: mean!, variance: variance!, gain: gain! };
}

/** [dx, dGamma, dBeta]: dx = gain * (dy - mean(dy) - xHat * mean(dy * xHat)). */
function opsBackward(dy: tf.Tensor, xHat: tf.Tensor, gain: tf.Tensor, axes: number[], count: number): tf.Tensor[] {
  const dOffset = tf.sum(dy, axes);
  const dScale = tf.sum(tf.mul(dy, xHat), axes);
  const centred = tf.sub(tf.sub(dy, tf.div(dOffset, count)), tf.mul(xHat, tf.div(dScale, count)));
  return [tf.mul(centred, gain), dScale, dOffset];
}

function fusedBackward(dy: tf.Tensor, xHat: tf.Tensor, gain: tf.Tensor): tf.Tensor[] {
  return tf.engine().runKernel(BATCH_NORM_KERNELS.backward, { dy, xHat, gain }, {}) as tf.Tensor[];
}

/** Construction arguments. */
export interface ChannelBatchNormArgs {
  name: string;
  /** Added to the variance before its square root. */
  epsilon: number;
  /** Weight of the old value in the moving averages, per step. */
  momentum?: number;
}

/** The batch-normalisation layer (see the module comment). */
export class ChannelBatchNorm extends tf.layers.Layer {
  static readonly className = 'ChannelBatchNorm';
  private readonly epsilon: number;
  private readonly momentum: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor({ name, epsilon, momentum = 0.99 }: ChannelBatchNormArgs) {
    super({ name });
    this.epsilon = epsilon;
    this.momentum = momentum;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = [(inputShape as tf.Shape).at(-1)!];
    this.gamma = this.addWeight('gamma', shape, 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', shape, 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', shape, 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', shape, 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [gamma, beta] = [this.gamma!.read(), this.beta!.read()];
      if (!kwargs.training) {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
        return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(this.movingMean!.read(), scale)));
      }
      const axes = [...Array(x.rank - 1).keys()];
      const count = x.size / x.shape[x.rank - 1]!;
      const fused = tf.getKernel(BATCH_NORM_KERNELS.forward, tf.getBackend()) !== undefined;
      const normalise = tf.customGrad((input, scale, offset, save) => {
        const batch = (fused ? fusedForward : opsForward)(input as tf.Tensor, scale as tf.Tensor, offset as tf.Tensor, axes, this.epsilon);
        // Tensors made here die with this forward pass (only the value and saved tensors
        // survive), so the moving averages are updated here, from the batch statistics.
        this.updateMovingAverage(this.movingMean!, batch.mean);
        this.updateMovingAverage(this.movingVariance!, batch.variance);
        (save as tf.GradSaveFunc)([batch.xHat, batch.gain]);
        return {
          value: batch.value,
          gradFunc: (dy: tf.Tensor, [xHat, gain]: tf.Tensor[]) => (fused ? fusedBackward : opsBackward)(dy, xHat!, gain!, axes, count),
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
