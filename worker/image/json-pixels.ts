/**
 * Images given as JSON numbers: validated pixel by pixel into the batch buffer. Every rejection is a
 * 400 whose detail names the offending place in the document (`instances[3][27][5] is 300, outside
 * 0..255`).
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { describe } from '../http/json.ts';
import { badRequest } from '../http/problem.ts';

/** Reads one tensor element from a parsed JSON value, validating it; `path` names it in errors. */
export type ElementReader = (value: unknown, path: string) => number;

/** A pixel on the 0..255 scale: any finite number in range; 400 naming `path` otherwise. */
export const pixelValue: ElementReader = (value, path) => {
  if (typeof value !== 'number') throw badRequest(`${path} is ${describe(value)}, not a number`);
  // JSON has no NaN or Infinity literals, but 1e999 parses to Infinity.
  if (!Number.isFinite(value)) throw badRequest(`${path} is not a finite number`);
  if (value < 0 || value > 255)
    throw badRequest(`${path} is ${value}, outside the pixel range 0..255`);
  return value;
};

/**
 * Copies a nested array of exactly `shape` (row-major) into `out` from `offset`, each element read
 * and validated by `element` (default: a pixel 0..255). Returns the offset after it.
 */
export function copyTensor(
  value: unknown,
  shape: readonly number[],
  path: string,
  out: Float32Array,
  offset: number,
  element: ElementReader = pixelValue,
  dim = 0,
): number {
  if (dim === shape.length) {
    out[offset] = element(value, path);
    return offset + 1;
  }
  const length = shape[dim]!;
  if (!Array.isArray(value) || value.length !== length) {
    throw badRequest(`${path} must be an array of ${length}, got ${describe(value)}`);
  }
  let next = offset;
  for (let i = 0; i < length; i++)
    next = copyTensor(value[i], shape, `${path}[${i}]`, out, next, element, dim + 1);
  return next;
}

/**
 * Copies one image given as 784 numbers or as 28 rows of 28 numbers (0..255, Fashion-MNIST
 * convention) into `out` at `offset`.
 */
export function copyImage(value: unknown, path: string, out: Float32Array, offset: number): void {
  const nested = Array.isArray(value) && Array.isArray(value[0]);
  const expected = nested ? IMAGE_SIZE : PIXELS_PER_IMAGE;
  if (!Array.isArray(value) || value.length !== expected) {
    throw badRequest(
      `${path} must be ${PIXELS_PER_IMAGE} numbers or ${IMAGE_SIZE} rows of ${IMAGE_SIZE} numbers, got ${describe(value)}`,
    );
  }
  copyTensor(value, nested ? [IMAGE_SIZE, IMAGE_SIZE] : [PIXELS_PER_IMAGE], path, out, offset);
}
