/**
 * Tile for the wasm backend when the result is the input repeated back to back, e.g. a [1,1,1,C]
 * vector tiled to [B,H,W,C] (tfjs' batch-norm gradient does this for every normalised layer). The
 * stock kernel computes a source index per output element; here the input is copied once and the
 * copy doubled until the output is full, a handful of memcpys. Other tilings decline.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { heapView, type KernelImpl } from './wasm.ts';

/** True when tiling `shape` by `reps` lays whole copies of the input end to end. */
function repeatsWholeInput(shape: number[], reps: number[]): boolean {
  // Only leading axes may repeat, and only where the input has extent 1.
  let trailing = true;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (reps[axis] === 1) {
      if (!trailing && shape[axis] !== 1) return false;
      continue;
    }
    trailing = false;
    if (shape[axis] !== 1) return false;
  }
  return true;
}

/** The kernel: float32 inputs repeated whole; anything else declines. */
export const tile: KernelImpl = ({ inputs, attrs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  const reps = attrs['reps'] as number[];
  if (x.dtype !== 'float32' || !repeatsWholeInput(x.shape, reps)) return undefined;
  const out = backend.makeOutput(
    x.shape.map((extent, axis) => extent * reps[axis]!),
    'float32',
  );
  const target = heapView(backend, out);
  const source = heapView(backend, x);
  if (target.length === 0) return out;
  target.set(source);
  for (let filled = source.length; filled < target.length; filled *= 2) target.copyWithin(filled, 0, Math.min(filled, target.length - filled));
  return out;
};
