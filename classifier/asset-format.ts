/**
 * The model asset: one versioned binary file that the build writes and the Worker bundles.
 *
 * Layout (all integers little-endian):
 *
 *   0       4 bytes   magic "FMNA"
 *   4       u32       format version (FORMAT_VERSION)
 *   8       u32       header length H in bytes (a multiple of 4)
 *   12      H bytes   header: UTF-8 JSON (AssetHeader), space-padded
 *   12+H    ...       tensor payload; every tensor starts on a 4-byte boundary
 *   end-32  32 bytes  SHA-256 of every byte before it
 *
 * Weights are int8, symmetric, one float32 scale per output channel (the last axis);
 * biases stay float32 (they are tiny and carry the most precision per byte).
 * This module is the only place that knows the layout: train/ writes with it, worker/ reads with it.
 */
import type { Architecture } from './architecture.ts';

/** Bumped whenever the byte layout or the header's meaning changes; readers refuse other versions. */
export const FORMAT_VERSION = 1;
const MAGIC = 'FMNA';
const PREAMBLE_BYTES = 12;
const DIGEST_BYTES = 32;

/** A tensor as stored: float32 values, or int8 values with per-output-channel scales. */
export type StoredTensor =
  | { dtype: 'float32'; shape: number[]; values: Float32Array }
  | { dtype: 'int8'; shape: number[]; values: Int8Array; scales: Float32Array };

/** Where one tensor's bytes sit in the payload (offsets are relative to the payload start). */
interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int8';
  shape: number[];
  offset: number;
  /** int8 only: offset of the float32 scales, one per entry of the last axis. */
  scalesOffset?: number;
}

/** Everything about the model except the weights. Kept free of timestamps so builds are reproducible. */
export interface ModelDescription {
  /** Model name used in URLs, e.g. "fashion-mnist". */
  name: string;
  /** Model version (monotonic per name). */
  version: string;
  architecture: Architecture;
  /** Class names, index = output unit. */
  labels: string[];
  /** Free-form, JSON-serialisable facts: metrics, training config, data digests. */
  metadata: Record<string, unknown>;
}

interface AssetHeader extends ModelDescription {
  tensors: TensorEntry[];
}

/** A decoded asset: the description, its tensors by name, and the SHA-256 of the whole file. */
export interface ModelAsset extends ModelDescription {
  tensors: Map<string, StoredTensor>;
  /** Hex SHA-256 of the complete asset file (what clients see as the model digest). */
  sha256: string;
}

/** Thrown for any asset that cannot be read; the message says what is wrong. */
export class AssetFormatError extends Error {
  override name = 'AssetFormatError';
}

const align4 = (n: number): number => (n + 3) & ~3;
const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // Typed-array generics: the input never wraps a SharedArrayBuffer here.
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Lower-case hex of a byte string. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Serialises a model into the asset format. Deterministic: the same input gives the same bytes. */
export async function encodeAsset(
  description: ModelDescription,
  tensors: ReadonlyMap<string, StoredTensor>,
): Promise<Uint8Array> {
  const entries: TensorEntry[] = [];
  let payloadBytes = 0;
  for (const [name, tensor] of tensors) {
    const count = elementCount(tensor.shape);
    if (tensor.values.length !== count) {
      throw new AssetFormatError(
        `tensor ${name}: ${tensor.values.length} values for shape [${tensor.shape}]`,
      );
    }
    const entry: TensorEntry = {
      name,
      dtype: tensor.dtype,
      shape: tensor.shape,
      offset: payloadBytes,
    };
    payloadBytes = align4(payloadBytes + tensor.values.byteLength);
    if (tensor.dtype === 'int8') {
      const channels = tensor.shape[tensor.shape.length - 1] ?? 1;
      if (tensor.scales.length !== channels) {
        throw new AssetFormatError(
          `tensor ${name}: ${tensor.scales.length} scales for ${channels} channels`,
        );
      }
      entry.scalesOffset = payloadBytes;
      payloadBytes += tensor.scales.byteLength;
    }
    entries.push(entry);
  }

  const header: AssetHeader = { ...description, tensors: entries };
  const headerText = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = align4(headerText.length);
  const total = PREAMBLE_BYTES + headerBytes + payloadBytes + DIGEST_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, headerBytes, true);
  out.fill(0x20, PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes);
  out.set(headerText, PREAMBLE_BYTES);

  const payloadStart = PREAMBLE_BYTES + headerBytes;
  for (const entry of entries) {
    const tensor = tensors.get(entry.name)!;
    out.set(
      new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength),
      payloadStart + entry.offset,
    );
    if (tensor.dtype === 'int8' && entry.scalesOffset !== undefined) {
      writeFloat32s(view, payloadStart + entry.scalesOffset, tensor.scales);
    }
  }
  out.set(await sha256(out.subarray(0, total - DIGEST_BYTES)), total - DIGEST_BYTES);
  return out;
}

function writeFloat32s(view: DataView, at: number, values: Float32Array): void {
  values.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
}

function readFloat32s(bytes: Uint8Array, at: number, count: number): Float32Array {
  // Copy so the result is aligned and independent of the (possibly shared) input buffer.
  const copy = bytes.slice(at, at + 4 * count);
  return new Float32Array(copy.buffer);
}

/** Options of decodeAsset. */
export interface DecodeOptions {
  /**
   * Check the digest the asset carries (default true). Only for bytes verified before, such as the
   * Worker's bundled assets (train/manifest.ts decodes every asset it bundles): skipping the check
   * saves hashing the file a second time. The returned sha256 is computed from the bytes either way.
   */
  verifyDigest?: boolean;
}

/**
 * Parses and verifies an asset. Rejects a wrong magic, an unsupported version, a digest mismatch
 * (corruption, unless `verifyDigest` is false) and any tensor that falls outside the payload, each
 * with an AssetFormatError.
 */
export async function decodeAsset(
  input: ArrayBuffer | Uint8Array,
  { verifyDigest = true }: DecodeOptions = {},
): Promise<ModelAsset> {
  // A plain Uint8Array view even for a Node Buffer, whose slice() would share memory instead of copying.
  const bytes =
    input instanceof Uint8Array
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
  if (bytes.length < PREAMBLE_BYTES + DIGEST_BYTES) {
    throw new AssetFormatError(`model asset is ${bytes.length} bytes, too short to be an asset`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC)
    throw new AssetFormatError(
      `not a model asset (magic ${JSON.stringify(magic)}, expected "${MAGIC}")`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new AssetFormatError(
      `model asset format version ${version} is not supported (this build reads version ${FORMAT_VERSION}); rebuild the asset`,
    );
  }
  const bodyEnd = bytes.length - DIGEST_BYTES;
  if (verifyDigest) {
    const digest = await sha256(bytes.subarray(0, bodyEnd));
    const stored = bytes.subarray(bodyEnd);
    if (!digest.every((b, i) => b === stored[i])) {
      throw new AssetFormatError(
        'model asset is corrupt: its SHA-256 does not match the digest it carries',
      );
    }
  }
  const headerBytes = view.getUint32(8, true);
  const payloadStart = PREAMBLE_BYTES + headerBytes;
  if (payloadStart > bodyEnd)
    throw new AssetFormatError('model asset header runs past the end of the file');

  let header: AssetHeader;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTES, payloadStart)),
    ) as AssetHeader;
  } catch (error) {
    throw new AssetFormatError(`model asset header is not valid JSON: ${(error as Error).message}`);
  }

  const payloadBytes = bodyEnd - payloadStart;
  const tensors = new Map<string, StoredTensor>();
  for (const entry of header.tensors) {
    const count = elementCount(entry.shape);
    const width = entry.dtype === 'int8' ? 1 : 4;
    if (entry.offset < 0 || entry.offset + count * width > payloadBytes) {
      throw new AssetFormatError(`tensor ${entry.name} lies outside the asset payload`);
    }
    const at = payloadStart + entry.offset;
    if (entry.dtype === 'float32') {
      tensors.set(entry.name, {
        dtype: 'float32',
        shape: entry.shape,
        values: readFloat32s(bytes, at, count),
      });
    } else {
      const channels = entry.shape[entry.shape.length - 1] ?? 1;
      const scalesOffset = entry.scalesOffset ?? -1;
      if (scalesOffset < 0 || scalesOffset + 4 * channels > payloadBytes) {
        throw new AssetFormatError(`tensor ${entry.name}: scales lie outside the asset payload`);
      }
      tensors.set(entry.name, {
        dtype: 'int8',
        shape: entry.shape,
        values: new Int8Array(bytes.slice(at, at + count).buffer),
        scales: readFloat32s(bytes, payloadStart + scalesOffset, channels),
      });
    }
  }
  const { tensors: _entries, ...description } = header;
  // Clients see the digest of the whole file, the same figure `sha256sum` prints for it.
  return { ...description, tensors, sha256: toHex(await sha256(bytes)) };
}

/** Float32 values of a stored tensor; int8 values are multiplied by their channel's scale. */
export function dequantize(tensor: StoredTensor): Float32Array {
  if (tensor.dtype === 'float32') return tensor.values;
  const { values, scales } = tensor;
  const channels = scales.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scales[i % channels]!;
  return out;
}

/**
 * Symmetric int8 quantization with one scale per output channel (last axis):
 * scale = max|w| / 127 over the channel, q = round(w / scale).
 */
export function quantizeInt8(values: Float32Array, shape: number[]): StoredTensor {
  const channels = shape[shape.length - 1] ?? 1;
  const scales = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    scales[c] = Math.max(scales[c]!, Math.abs(values[i]!));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scales[i % channels]!)));
  }
  return { dtype: 'int8', shape, values: q, scales };
}
