/**
 * What the replacement kernels need from the tfjs wasm backend: its heap and its own kernels.
 *
 * Kernels read and write tensor memory in place through views of the wasm heap. A view dies when
 * the heap grows, and every allocation may grow it, so views are taken only after the last
 * allocation of a kernel call.
 */
import * as tf from '@tensorflow/tfjs';
import type { backend_util, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The wasm backend, as handed to kernel functions. */
export type WasmBackend = BackendWasm;

/** The float32 values of `tensor`, as a live view of the wasm heap. */
export function heapView(backend: WasmBackend, tensor: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(tensor) as Float32Array;
}

/**
 * The same memory under another shape, without a copy and without a reference of its own: never
 * dispose the view (a kernel may return it, handing over the reference of the tensor it views).
 */
export function viewAs(tensor: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: tensor.dataId, shape, dtype: tensor.dtype };
}

/** Runs the wasm backend's currently registered kernel `name`. */
export function runWasmKernel(
  name: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: object,
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the tfjs wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend }) as TensorInfo;
}

/** Padding and rounding attributes as convolution and pooling kernels receive them. */
export interface WindowAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** A kernel implementation that may decline (return undefined) and leave the work to the stock kernel. */
export type KernelImpl = (args: {
  inputs: Record<string, TensorInfo>;
  attrs: tf.NamedAttrMap;
  backend: WasmBackend;
}) => TensorInfo | TensorInfo[] | undefined;

/**
 * Installs `impl` as the wasm kernel `name`. When `impl` declines, the stock kernel (if tfjs has
 * one) runs instead; its setupFunc already ran when the backend initialised, so its state is reused.
 */
export function replaceWasmKernel(name: string, impl: KernelImpl): void {
  const stock: KernelConfig | undefined = tf.getKernel(name, 'wasm');
  if (stock) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const backend = args.backend as WasmBackend;
      const result = impl({
        inputs: args.inputs as Record<string, TensorInfo>,
        attrs: args.attrs ?? {},
        backend,
      });
      if (result) return result;
      if (!stock)
        throw new Error(
          `wasm ${name}: this configuration is not supported and tfjs has no stock kernel`,
        );
      return stock.kernelFunc(args);
    },
  });
}
