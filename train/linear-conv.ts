/**
 * The linear part of a batch-normalised convolution: conv2d without bias or activation, for
 * training.
 *
 * tfjs-layers' Conv2D runs tf.fused.conv2d, whose gradient computes the input gradient eagerly
 * even when nothing needs it; for the first layer (whose input is the image batch) that was a
 * whole wasted backward convolution per step. Plain tf.conv2d's gradient is computed per input,
 * only for inputs that lead to a trained variable. Same weights and name (`${name}/kernel`) as
 * tfjs-layers' layer, so export and folding read it alike.
 */
import * as tf from '@tensorflow/tfjs';

/** Construction arguments. */
export interface LinearConv2DArgs {
  name: string;
  filters: number;
  kernelSize: number;
  padding: 'same' | 'valid';
  /** Seed of the Glorot-uniform kernel initialiser. */
  seed: number;
  inputShape?: number[];
}

/** See the module comment. */
export class LinearConv2D extends tf.layers.Layer {
  static readonly className = 'LinearConv2D';
  private readonly args: LinearConv2DArgs;
  private kernel?: tf.LayerVariable;

  constructor(args: LinearConv2DArgs) {
    super({ name: args.name, ...(args.inputShape ? { inputShape: args.inputShape } : {}) });
    this.args = args;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = (inputShape as tf.Shape).at(-1)!;
    const { kernelSize, filters, seed } = this.args;
    this.kernel = this.addWeight(
      'kernel',
      [kernelSize, kernelSize, channels, filters],
      'float32',
      tf.initializers.glorotUniform({ seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width] = inputShape as tf.Shape;
    const shrink = this.args.padding === 'valid' ? this.args.kernelSize - 1 : 0;
    return [batch!, height! - shrink, width! - shrink, this.args.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    return tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, 1, this.args.padding);
  }
}
