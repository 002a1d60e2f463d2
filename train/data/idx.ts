/**
 * Strict parsing of the IDX files Fashion-MNIST ships in (the MNIST format: a big-endian header,
 * then raw unsigned bytes). Every structural fact is checked against what the file must contain,
 * so a damaged file is reported as "truncated" or "wrong magic" rather than only failing the
 * digest check later, which would not say what is wrong.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { CLASS_COUNT } from '../../classifier/labels.ts';
import { fileError } from './errors.ts';

/** What one IDX file must hold: `count` 28x28 images, or `count` labels. */
export interface IdxShape {
  kind: 'images' | 'labels';
  count: number;
}

/** Magic = 0x00 0x00, type 0x08 (unsigned byte), number of dimensions. */
const MAGIC = { images: 0x00000803, labels: 0x00000801 } as const;

function headerBytes(kind: IdxShape['kind']): number {
  // The magic word and the item count, plus rows and columns for images.
  return kind === 'images' ? 16 : 8;
}

/** Total size in bytes of a valid decompressed file of this shape. */
export function idxByteLength(shape: IdxShape): number {
  return headerBytes(shape.kind) + shape.count * (shape.kind === 'images' ? PIXELS_PER_IMAGE : 1);
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Says what a wrong magic number actually is, because the usual causes are recognisable. */
function describeMagic(magic: number): string {
  if (magic >>> 16 === 0x1f8b) return ' (that is gzip data: a compressed file without its .gz suffix?)';
  if (magic === MAGIC.images) return ' (that is an IDX image file)';
  if (magic === MAGIC.labels) return ' (that is an IDX label file)';
  return '';
}

/**
 * Checks that `bytes` is exactly an IDX file of `shape` and returns its payload (images row-major,
 * or labels) as a view into `bytes`: no copy, because the training set is 47 MB.
 * Throws a DataError naming `path` on the first structural problem.
 */
export function parseIdx(bytes: Uint8Array, shape: IdxShape, path: string): Uint8Array {
  const expectedLength = idxByteLength(shape);
  const header = headerBytes(shape.kind);
  const truncated = () => fileError(path, `truncated: expected ${expectedLength} bytes, found ${bytes.length}`);
  if (bytes.length < header) throw truncated();

  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const magic = view.getUint32(0);
  if (magic !== MAGIC[shape.kind]) {
    throw fileError(
      path,
      `wrong magic number ${hex32(magic)}${describeMagic(magic)}; expected ${hex32(MAGIC[shape.kind])} for IDX ${shape.kind}`,
    );
  }
  const count = view.getUint32(4);
  if (count !== shape.count) {
    throw fileError(path, `header says ${count} ${shape.kind}, expected ${shape.count}`);
  }
  if (shape.kind === 'images') {
    const rows = view.getUint32(8);
    const columns = view.getUint32(12);
    if (rows !== IMAGE_SIZE || columns !== IMAGE_SIZE) {
      throw fileError(path, `images are ${rows}x${columns} pixels, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
    }
  }
  if (bytes.length < expectedLength) throw truncated();
  if (bytes.length > expectedLength) {
    throw fileError(path, `too long: expected ${expectedLength} bytes, found ${bytes.length} (trailing data after the last item)`);
  }

  // A plain Uint8Array view, not Buffer#subarray: callers get the documented type, and Buffer's
  // slice() (a view) versus Uint8Array's slice() (a copy) cannot surprise them.
  const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + header, expectedLength - header);
  if (shape.kind === 'labels') {
    const bad = payload.findIndex((label) => label >= CLASS_COUNT);
    if (bad !== -1) {
      throw fileError(path, `label ${payload[bad]} at index ${bad} is outside 0..${CLASS_COUNT - 1}`);
    }
  }
  return payload;
}
