/**
 * The dense forward pass through tfjs' kernel functions, on whichever backend is active (the build's
 * `cpu` fallback, the bench's baselines). On tfjs' wasm binary, dense-wasm-exports.ts computes the same
 * graph without the kernel functions' per-call work.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PIXELS_PER_IMAGE } from '../architecture.ts';
import { disposeDenseLayers, uploadDenseLayers } from './dense-layers.ts';
import type { ModelAsset } from '../asset-format.ts';
import { expectPixels, type Network } from './network.ts';

/** A kernel of one backend, called directly: no op-level checks, reshapes, tape or engine tracking. */
type BoundKernel = (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => tf.TensorInfo;

function bindKernel(
  kernelName: string,
  backendName: string,
  backend: tf.KernelBackend,
): BoundKernel {
  const config = tf.getKernel(kernelName, backendName);
  if (!config) throw new Error(`the tfjs ${backendName} backend has no ${kernelName} kernel`);
  return (inputs, attrs) => config.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo;
}

/**
 * Uploads the asset's weights once, as resident tensors on the active backend, and binds the
 * network to that backend. A prediction calls the backend's kernels directly on the resident
 * weights (fused matMul+bias+relu, then matMul+bias and softmax): tfjs' op layer costs several
 * times the arithmetic of one image (reshapes, gradient wrappers, engine bookkeeping), and the
 * kernels are the same ones the op layer would run, so the results are identical.
 */
export function createKernelNetwork(asset: ModelAsset): Network {
  const backendName = tf.getBackend();
  const backend = tf.backend();
  const fusedMatMul = bindKernel(tf._FusedMatMul, backendName, backend);
  const softmax = bindKernel(tf.Softmax, backendName, backend);
  const layers = uploadDenseLayers(asset).map((layer) => ({
    ...layer,
    attrs: {
      transposeA: false,
      transposeB: false,
      activation: layer.activation === 'relu' ? 'relu' : 'linear',
      leakyreluAlpha: 0,
    },
  }));

  return {
    classes: layers[layers.length - 1]?.units ?? 0,
    predict(pixels, count) {
      expectPixels(pixels, count);
      const shape = [1, count, PIXELS_PER_IMAGE];
      // Everything this call allocates on the backend, freed below even if a kernel throws.
      const produced: tf.TensorInfo[] = [
        { dataId: backend.write(pixels, shape, 'float32'), shape, dtype: 'float32' },
      ];
      const last = (): tf.TensorInfo => produced[produced.length - 1]!;
      try {
        for (const layer of layers) {
          produced.push(fusedMatMul({ a: last(), b: layer.kernel, bias: layer.bias }, layer.attrs));
          if (layer.activation === 'softmax')
            produced.push(softmax({ logits: last() }, { dim: 2 }));
        }
        // readSync copies out of the backend: the result must outlive the freed output.
        return backend.readSync(last().dataId) as Float32Array;
      } finally {
        for (const info of produced) backend.disposeData(info.dataId);
      }
    },
    dispose() {
      disposeDenseLayers(layers);
    },
  };
}
