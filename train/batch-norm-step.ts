/**
 * One training step of batch normalisation over the channel (last) axis, optionally followed by
 * relu: the forward pass with its batch statistics, and the gradient written out
 * (dx = gain * (dy' - mean(dy') - xHat * mean(dy' * xHat)), dy' = dy masked by relu).
 *
 * Two implementations: the native kernels (BATCH_NORM_KERNELS, one pass over memory each, which
 * train/kernel-overrides/native.ts registers on wasm for convnet training) when the active backend has
 * them, else tf ops (about a dozen passes).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * forward: {x, gamma, beta}, {epsilon, relu} -> [y, xHat, mean, variance, gain];
 * backward: {dy, xHat, gain, y}, {relu} -> [dx, dGamma, dBeta].
 */
export const BATCH_NORM_KERNELS = {
  forward: 'ChannelBatchNormForward',
  backward: 'ChannelBatchNormBackward',
} as const;

/** A forward step's results; gain = gamma / sqrt(variance + epsilon), variance biased. */
export interface BatchNormForward {
  value: tf.Tensor;
  xHat: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  gain: tf.Tensor;
}

/** How to compute a step, fixed per layer call. */
export interface BatchNormStep {
  forward(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): BatchNormForward;
  /** [dx, dGamma, dBeta] from the upstream gradient and what forward returned. */
  backward(dy: tf.Tensor, forward: Pick<BatchNormForward, 'value' | 'xHat' | 'gain'>): tf.Tensor[];
}

/** The step for a channels-last input of `rank`, on the active backend. */
export function batchNormStep(rank: number, epsilon: number, relu: boolean): BatchNormStep {
  if (tf.getKernel(BATCH_NORM_KERNELS.forward, tf.getBackend())) return kernelStep(epsilon, relu);
  return opsStep([...Array(rank - 1).keys()], epsilon, relu);
}

function kernelStep(epsilon: number, relu: boolean): BatchNormStep {
  return {
    forward(x, gamma, beta) {
      const [value, xHat, mean, variance, gain] = tf
        .engine()
        .runKernel(
          BATCH_NORM_KERNELS.forward,
          { x, gamma, beta },
          { epsilon, relu },
        ) as tf.Tensor[];
      return { value: value!, xHat: xHat!, mean: mean!, variance: variance!, gain: gain! };
    },
    backward(dy, { value, xHat, gain }) {
      return tf
        .engine()
        .runKernel(
          BATCH_NORM_KERNELS.backward,
          { dy, xHat, gain, y: value },
          { relu },
        ) as tf.Tensor[];
    },
  };
}

function opsStep(axes: number[], epsilon: number, relu: boolean): BatchNormStep {
  return {
    forward(x, gamma, beta) {
      const { mean, variance } = tf.moments(x, axes);
      const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
      const xHat = tf.mul(tf.sub(x, mean), inverseStd);
      const affine = tf.add(tf.mul(xHat, gamma), beta);
      return {
        value: relu ? tf.relu(affine) : affine,
        xHat,
        mean,
        variance,
        gain: tf.mul(gamma, inverseStd),
      };
    },
    backward(dy, { value, xHat, gain }) {
      const count = xHat.size / xHat.shape.at(-1)!;
      const masked = relu ? tf.mul(dy, tf.step(value)) : dy;
      const dOffset = tf.sum(masked, axes);
      const dScale = tf.sum(tf.mul(masked, xHat), axes);
      const centred = tf.sub(
        tf.sub(masked, tf.div(dOffset, count)),
        tf.mul(xHat, tf.div(dScale, count)),
      );
      return [tf.mul(centred, gain), dScale, dOffset];
    },
  };
}
