/**
 * Identity for the wasm backend without the copy: the stock kernel copies the whole tensor, and
 * tfjs' gradient tape runs Identity on layer inputs and outputs, several full-size copies per
 * training step. This one shares the data under a new reference, as Reshape already does
 * (no wasm kernel writes into its inputs, so sharing is safe).
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { KernelImpl } from './wasm.ts';

/** The kernel: every dtype but string (whose data lives outside the heap) shares its data. */
export const sharedIdentity: KernelImpl = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return undefined;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
