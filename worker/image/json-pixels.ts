/**
 * Images given as JSON numbers: validated pixel by pixel into the batch buffer. Every rejection is a
 * 400 whose detail names the offending place in the document (`instances[3][27][5] is 300, outside
 * 0..255`).
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { describe } from '../http/json.ts';
import { badRequest } from '../http/problem.ts';

function pixel(value: unknown, path: string, integer: boolean): number {
  if (typeof value !== 'number') throw badRequest(`${path} is ${describe(value)}, not a number`);
  // JSON has no NaN or Infinity literals, but 1e999 parses to Infinity.
  if (!Number.isFinite(value)) throw badRequest(`${path} is not a finite number`);
  if (value < 0 || value > 255) throw badRequest(`${path} is ${value}, outside the pixel range 0..255`);
  if (integer && !Number.isInteger(value)) throw badRequest(`${path} is ${value}, not an integer`);
  return value;
}

/**
 * Copies a nested array of exactly `shape` (row-major) into `out` from `offset`, validating every
 * element as a pixel (0..255, finite; integers only if `integer`). Returns the offset after it.
 */
export function copyTensor(
  value: unknown,
  shape: readonly number[],
  path: string,
  out: Float32Array,
  offset: number,
  integer = false,
  dim = 0,
): number {
  if (dim === shape.length) {
    out[offset] = pixel(value, path, integer);
    return offset + 1;
  }
  const length = shape[dim]!;
  if (!Array.isArray(value) || value.length !== length) {
    throw badRequest(`${path} must be an array of ${length}, got ${describe(value)}`);
  }
  let next = offset;
  for (let i = 0; i < length; i++) next = copyTensor(value[i], shape, `${path}[${i}]`, out, next, integer, dim + 1);
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
    throw badRequest(`${path} must be ${PIXELS_PER_IMAGE} numbers or ${IMAGE_SIZE} rows of ${IMAGE_SIZE} numbers, got ${describe(value)}`);
  }
  copyTensor(value, nested ? [IMAGE_SIZE, IMAGE_SIZE] : [PIXELS_PER_IMAGE], path, out, offset);
}
