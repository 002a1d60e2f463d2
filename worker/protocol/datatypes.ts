/**
 * The numeric tensor datatypes of the Open Inference Protocol, for the image input: how wide each
 * element is in a binary tensor, how to read it (little-endian, as the binary extension sends it),
 * and what range a JSON value must be in to be of that type. Whatever the datatype, a value is then
 * a pixel on the 0..255 scale.
 */
import { badRequest } from '../http/problem.ts';
import { pixelValue, type ElementReader } from '../image/json-pixels.ts';

interface NumericType {
  /** Bytes per element in a binary tensor. */
  bytes: number;
  /** Whole numbers only (the INT and UINT types). */
  integer: boolean;
  /** Range of the type; a JSON value outside it is not of this type. */
  min: number;
  max: number;
  /** The element at byte `offset` of `view`. */
  read(view: DataView, offset: number): number;
}

/** An IEEE 754 half-precision float from its 16 bits (DataView has no getFloat16 in every runtime). */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const int = (bytes: number, min: number, max: number, read: NumericType['read']): NumericType => ({
  bytes,
  integer: true,
  min,
  max,
  read,
});
const float = (bytes: number, max: number, read: NumericType['read']): NumericType => ({
  bytes,
  integer: false,
  min: -max,
  max,
  read,
});

/** Every numeric datatype of the protocol, in the order its specification lists them. */
export const NUMERIC_DATATYPES = {
  UINT8: int(1, 0, 255, (v, o) => v.getUint8(o)),
  UINT16: int(2, 0, 65535, (v, o) => v.getUint16(o, true)),
  UINT32: int(4, 0, 2 ** 32 - 1, (v, o) => v.getUint32(o, true)),
  UINT64: int(8, 0, 2 ** 64 - 1, (v, o) => Number(v.getBigUint64(o, true))),
  INT8: int(1, -128, 127, (v, o) => v.getInt8(o)),
  INT16: int(2, -32768, 32767, (v, o) => v.getInt16(o, true)),
  INT32: int(4, -(2 ** 31), 2 ** 31 - 1, (v, o) => v.getInt32(o, true)),
  INT64: int(8, -(2 ** 63), 2 ** 63 - 1, (v, o) => Number(v.getBigInt64(o, true))),
  FP16: float(2, 65504, (v, o) => half(v.getUint16(o, true))),
  FP32: float(4, 3.4028234663852886e38, (v, o) => v.getFloat32(o, true)),
  FP64: float(8, Number.MAX_VALUE, (v, o) => v.getFloat64(o, true)),
} as const satisfies Record<string, NumericType>;

/** A numeric datatype's name. */
export type NumericDatatype = keyof typeof NUMERIC_DATATYPES;

/** Datatypes the image input accepts: the numeric ones (pixels) and BYTES (encoded image files). */
export const INPUT_DATATYPES = [
  ...(Object.keys(NUMERIC_DATATYPES) as NumericDatatype[]),
  'BYTES',
] as const;
export type InputDatatype = (typeof INPUT_DATATYPES)[number];

/** `value` as an input datatype; 400 naming the accepted ones otherwise. */
export function requireInputDatatype(value: unknown, path: string): InputDatatype {
  if ((INPUT_DATATYPES as readonly unknown[]).includes(value)) return value as InputDatatype;
  throw badRequest(
    `${path} is ${JSON.stringify(value) ?? 'missing'}; send one of ${INPUT_DATATYPES.join(', ')}`,
  );
}

/** Bytes per element of a numeric datatype. */
export const elementBytes = (datatype: NumericDatatype): number =>
  NUMERIC_DATATYPES[datatype].bytes;

/** A reader of JSON elements of `datatype`: a number of that type (whole, in its range), then a pixel 0..255. */
export function jsonElementReader(datatype: NumericDatatype): ElementReader {
  const { integer, min, max } = NUMERIC_DATATYPES[datatype];
  return (value, path) => {
    if (typeof value === 'number' && Number.isFinite(value)) {
      if (integer && !Number.isInteger(value))
        throw badRequest(`${path} is ${value}, not an integer (datatype ${datatype})`);
      if (value < min || value > max)
        throw badRequest(`${path} is ${value}, outside the ${datatype} range ${min}..${max}`);
    }
    return pixelValue(value, path);
  };
}

/**
 * Reads `out.length` little-endian elements of `datatype` from `bytes` (exactly that many elements
 * long: the caller checked the size) into `out`, each a pixel 0..255; 400 naming the first that is not.
 */
export function readBinaryTensor(
  bytes: Uint8Array,
  datatype: NumericDatatype,
  out: Float32Array,
  path: string,
): void {
  const { bytes: width, read } = NUMERIC_DATATYPES[datatype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = pixelValue(read(view, i * width), `${path}[${i}]`);
}
