/**
 * The TensorFlow Serving REST API (https://www.tensorflow.org/tfx/serving/api_rest): model status,
 * model metadata and predict, so clients and tools written for TF Serving work unchanged.
 */
import { Hono } from 'hono';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import type { AppEnv } from '../env.ts';
import { requireMediaType } from '../http/body.ts';
import { describe, isObject, parseJson, requireObject } from '../http/json.ts';
import { badRequest, Problem } from '../http/problem.ts';
import { measureAsync } from '../http/timing.ts';
import { imageToPixels, loadImageDecoders, type ImageOptions } from '../image/index.ts';
import { copyImage } from '../image/json-pixels.ts';
import { batchBuffer, imageOptionsOf, infer, INPUT_NAME, OUTPUT_NAME, readRequestBody, requireModel } from './inference-route.ts';

const SIGNATURE = 'serving_default';

// Hono reads ':' as the start of a parameter, so `{name}:predict` cannot be written as a pattern;
// the regexp parameter matches the whole last segment and the verb is cut off in the handler.
const PREDICT_VERB = ':predict';
const STATUS_PATH = '/v1/models/:name{[^/:]+}';
const PREDICT_PATH = `/v1/models/:spec{[^/:]+${PREDICT_VERB}}`;

function decodeBase64(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string') throw badRequest(`${path} must be a base64 string, got ${describe(value)}`);
  let binary: string;
  try {
    // TF Serving clients send standard base64; accept the URL-safe alphabet too.
    binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw badRequest(`${path} is not valid base64`);
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * An instance may name the model's single input (`{"images": ...}`); `{"b64": ...}` is not a name
 * but TF Serving's encoding of a binary value, and arrays are the unnamed form.
 */
function unwrapNamedInput(value: unknown, path: string): [unknown, string] {
  if (!isObject(value) || 'b64' in value) return [value, path];
  const names = Object.keys(value);
  if (names.length !== 1 || names[0] !== INPUT_NAME) {
    throw badRequest(`${path} names inputs ${JSON.stringify(names)}; this model has one input, "${INPUT_NAME}"`);
  }
  return [value[INPUT_NAME], `${path}.${INPUT_NAME}`];
}

async function copyInstance(value: unknown, path: string, out: Float32Array, offset: number, images: ImageOptions): Promise<void> {
  if (!isObject(value)) return copyImage(value, path, out, offset);
  const where = `${path}.b64`;
  const bytes = decodeBase64(value.b64, where);
  try {
    out.set(await imageToPixels(bytes, images), offset);
  } catch (error) {
    // In a batch, "the image is truncated" is only useful with which image it was.
    throw error instanceof Problem ? error.at(where) : error;
  }
}

/** Pixels of every instance of a row (`instances`) or columnar (`inputs`) predict request. */
async function decodePredictRequest(document: unknown, images: ImageOptions): Promise<Float32Array> {
  const body = requireObject(document, 'body');
  if (body.signature_name !== undefined && body.signature_name !== SIGNATURE) {
    throw badRequest(`signature_name ${describe(body.signature_name)} does not exist; this model serves "${SIGNATURE}"`);
  }
  const rows = 'instances' in body;
  if (rows === 'inputs' in body) {
    throw badRequest('send exactly one of "instances" (row format) or "inputs" (columnar format)');
  }
  const [batch, key] = rows ? [body.instances, 'instances'] : unwrapNamedInput(body.inputs, 'inputs');
  if (!Array.isArray(batch)) throw badRequest(`${key} must be an array of images, got ${describe(batch)}`);
  const pixels = batchBuffer(batch.length, key);
  // `images` holds one pixel budget for all encoded images: a batch of 256 must not cost 256 times one image's decoding.
  for (const [i, entry] of batch.entries()) {
    const [instance, path] = rows ? unwrapNamedInput(entry, `${key}[${i}]`) : [entry, `${key}[${i}]`];
    await copyInstance(instance, path, pixels, i * PIXELS_PER_IMAGE, images);
  }
  return pixels;
}

/** A TensorInfo of the signature: float32, batch dimension first. */
function tensorInfo(name: string, dims: number[]) {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: [-1, ...dims].map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name: `${name}:0`,
  };
}

/** Routes of the TF Serving API. */
export const tfServing = new Hono<AppEnv>()
  .get(STATUS_PATH, async (c) => {
    const model = await requireModel(c.req.param('name'));
    return c.json({
      model_version_status: [{ version: model.version, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
    });
  })
  .get(`${STATUS_PATH}/metadata`, async (c) => {
    const model = await requireModel(c.req.param('name'));
    const signature = {
      inputs: { [INPUT_NAME]: tensorInfo(INPUT_NAME, [IMAGE_SIZE, IMAGE_SIZE]) },
      outputs: { [OUTPUT_NAME]: tensorInfo(OUTPUT_NAME, [model.labels.length]) },
      method_name: 'tensorflow/serving/predict',
    };
    return c.json({
      model_spec: { name: model.name, signature_name: '', version: model.version },
      metadata: { signature_def: { signature_def: { [SIGNATURE]: signature } } },
    });
  })
  .post(PREDICT_PATH, async (c) => {
    const model = await requireModel(c.req.param('spec').slice(0, -PREDICT_VERB.length));
    requireMediaType(c.req.raw, ['application/json']);
    const body = await readRequestBody(c);
    await loadImageDecoders(); // any instance may be a base64 image
    const pixels = await measureAsync(c, 'decode', decodePredictRequest(parseJson(body), imageOptionsOf(c)));
    const probabilities = infer(c, model, pixels);
    const classes = model.labels.length;
    const predictions = Array.from({ length: probabilities.length / classes }, (_, i) =>
      Array.from(probabilities.subarray(i * classes, (i + 1) * classes)),
    );
    return c.json({ predictions });
  });
