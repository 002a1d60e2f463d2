/**
 * Decoding a v2 infer request, JSON or binary (binary-tensors.ts), into the pixels of its images and
 * the output it asks for. The image input takes every numeric datatype as pixels (shape [N, 28, 28]
 * or [N, 784]) and BYTES as encoded image files (shape [N] or [N, 1]), decoded like /v1/classify's.
 * The batch size comes from the shape and is bounded (MAX_BATCH) before any tensor data is read.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { describe, parseJson, requireObject } from '../http/json.ts';
import { copyTensor } from '../image/json-pixels.ts';
import { badRequest, Problem } from '../http/problem.ts';
import { imageToPixels, loadImageDecoders, type ImageOptions } from '../image/index.ts';
import { decodeBase64 } from './base64.ts';
import { readBytesTensor, splitBody } from './binary-tensors.ts';
import {
  elementBytes,
  jsonElementReader,
  readBinaryTensor,
  requireInputDatatype,
  type NumericDatatype,
} from './datatypes.ts';
import { applyPixelScale, parsePixelScale, PIXEL_SCALE_PARAMETER } from './pixel-scale.ts';
import { parametersOf, requestedOutput, type RequestedOutput } from './v2-outputs.ts';

/** What the model is asked: its tensor names, class count and batch limit. */
export interface InferTarget {
  inputName: string;
  outputName: string;
  classes: number;
  /** A zeroed pixel buffer for `count` images; throws for an empty or oversized batch. */
  batch(count: number, what: string): Float32Array;
}

/** A decoded request. */
export interface InferRequest {
  id: string | undefined;
  pixels: Float32Array;
  output: RequestedOutput;
}

/** Where an input's data is: JSON `data`, or binary bytes after the header. */
type TensorData = { json: unknown } | { binary: Uint8Array };

const PIXEL_SHAPES = [[IMAGE_SIZE, IMAGE_SIZE], [PIXELS_PER_IMAGE]] as const;
const FILE_SHAPES = [[], [1]] as const;

/** The batch size of `shape`, which must be [N, ...one of `dims`]; 400 naming the accepted shapes otherwise. */
function batchSize(shape: unknown, dims: readonly (readonly number[])[], accepted: string): number {
  const [count, ...rest] = Array.isArray(shape) ? (shape as unknown[]) : [];
  const known = dims.some(
    (d) => rest.length === d.length && d.every((size, i) => rest[i] === size),
  );
  if (!known || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    const got =
      Array.isArray(shape) && shape.length <= 4
        ? `[${shape.map(describe).join(', ')}]`
        : describe(shape);
    throw badRequest(`inputs[0].shape must be ${accepted}, got ${got}`);
  }
  return count;
}

/** The input's data: binary when it declares binary_data_size (exactly the bytes after the header), else JSON. */
function tensorData(input: Record<string, unknown>, binary: Uint8Array | undefined): TensorData {
  const size = parametersOf(input, 'inputs[0].parameters').binary_data_size;
  if (size === undefined) {
    if (binary !== undefined && binary.length > 0)
      throw badRequest(
        `the body has ${binary.length} bytes after the JSON header, but no input declares binary_data_size`,
      );
    return { json: input.data };
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw badRequest(
      `inputs[0].parameters.binary_data_size must be a byte count, got ${describe(size)}`,
    );
  if (binary === undefined)
    throw badRequest(
      'inputs[0].parameters.binary_data_size needs the Inference-Header-Content-Length header',
    );
  if (size !== binary.length)
    throw badRequest(
      `inputs[0].parameters.binary_data_size is ${size}, but ${binary.length} bytes follow the JSON header`,
    );
  return { binary };
}

function decodePixels(
  data: TensorData,
  datatype: NumericDatatype,
  shape: unknown,
  target: InferTarget,
): Float32Array {
  const count = batchSize(
    shape,
    PIXEL_SHAPES,
    `[N, ${IMAGE_SIZE}, ${IMAGE_SIZE}] or [N, ${PIXELS_PER_IMAGE}]`,
  );
  const pixels = target.batch(count, 'inputs[0]');
  if ('binary' in data) {
    const expected = pixels.length * elementBytes(datatype);
    if (data.binary.length !== expected)
      throw badRequest(
        `inputs[0] holds ${data.binary.length} bytes of binary data; ${count} ${datatype} images are ${expected}`,
      );
    readBinaryTensor(data.binary, datatype, pixels, 'inputs[0]');
    return pixels;
  }
  // The protocol allows tensor data flat (row-major) or nested exactly as the shape says.
  const nested = Array.isArray(data.json) && Array.isArray(data.json[0]);
  copyTensor(
    data.json,
    nested ? (shape as number[]) : [pixels.length],
    'inputs[0].data',
    pixels,
    0,
    jsonElementReader(datatype),
  );
  return pixels;
}

/** Encoded image files of a BYTES input: binary elements, or base64 strings in JSON (flat or [N, 1]). */
function imageFiles(data: TensorData, count: number): Uint8Array[] {
  if ('binary' in data) return readBytesTensor(data.binary, count, 'inputs[0]');
  const flat: unknown = Array.isArray(data.json) ? data.json.flat() : data.json;
  if (!Array.isArray(flat) || flat.length !== count)
    throw badRequest(`inputs[0].data must hold ${count} base64 image files, got ${describe(flat)}`);
  return flat.map((value, i) => decodeBase64(value, `inputs[0].data[${i}]`));
}

async function decodeImageFiles(
  data: TensorData,
  shape: unknown,
  target: InferTarget,
  images: ImageOptions,
): Promise<Float32Array> {
  const count = batchSize(shape, FILE_SHAPES, '[N] or [N, 1] (one encoded image file per element)');
  const pixels = target.batch(count, 'inputs[0]');
  const files = imageFiles(data, count);
  await loadImageDecoders();
  for (const [i, file] of files.entries()) {
    try {
      pixels.set(await imageToPixels(file, images), i * PIXELS_PER_IMAGE);
    } catch (error) {
      throw error instanceof Problem ? error.at(`inputs[0][${i}]`) : error;
    }
  }
  return pixels;
}

/**
 * Decodes an infer request's body; `headerLength` is the declared JSON header length of a binary
 * request (undefined: all JSON), `queryScale` the pixel_scale query parameter.
 */
export async function decodeInferRequest(
  body: Uint8Array,
  headerLength: number | undefined,
  target: InferTarget,
  images: ImageOptions,
  queryScale: string | undefined,
): Promise<InferRequest> {
  const { json, binary } =
    headerLength === undefined ? { json: body, binary: undefined } : splitBody(body, headerLength);
  const document = requireObject(parseJson(json), 'body');
  const id = document.id;
  if (id !== undefined && typeof id !== 'string')
    throw badRequest(`id must be a string, got ${describe(id)}`);
  const parameters = parametersOf(document, 'parameters');
  const output = requestedOutput(document.outputs, parameters, target.outputName, target.classes);
  const scale = parsePixelScale(parameters[PIXEL_SCALE_PARAMETER] ?? queryScale, 'parameters');
  const inputs = document.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw badRequest(
      `inputs must be an array of exactly one tensor, "${target.inputName}"; got ${describe(inputs)}`,
    );
  }
  const input = requireObject(inputs[0], 'inputs[0]');
  if (input.name !== target.inputName) {
    throw badRequest(
      `inputs[0].name is ${describe(input.name)}; this model's input is "${target.inputName}"`,
    );
  }
  const datatype = requireInputDatatype(input.datatype, 'inputs[0].datatype');
  const data = tensorData(input, binary);
  if (datatype === 'BYTES')
    return { id, output, pixels: await decodeImageFiles(data, input.shape, target, images) };
  const pixels = decodePixels(data, datatype, input.shape, target);
  for (let offset = 0; offset < pixels.length; offset += PIXELS_PER_IMAGE) {
    applyPixelScale(pixels, offset, scale, `inputs[0] image ${offset / PIXELS_PER_IMAGE}`);
  }
  return { id, output, pixels };
}
