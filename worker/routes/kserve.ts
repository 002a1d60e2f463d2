/**
 * The Open Inference Protocol v2 (KServe, Triton): health, server and model metadata, and infer.
 * Pixels use the Fashion-MNIST scale 0..255 whatever the datatype, so UINT8 and FP32 requests of
 * the same image get the same answer.
 */
import { Hono } from 'hono';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import type { AppEnv } from '../env.ts';
import { requireMediaType } from '../http/body.ts';
import { describe, parseJson, requireObject } from '../http/json.ts';
import { badRequest, Problem } from '../http/problem.ts';
import { measure } from '../http/timing.ts';
import { copyTensor } from '../image/json-pixels.ts';
import { API_VERSION } from '../openapi.ts';
import { modelNames, type ServedModel } from '../inference/models.ts';
import { batchBuffer, infer, INPUT_NAME, OUTPUT_NAME, readRequestBody, requireModel } from './inference-route.ts';

/** Shapes accepted for the input tensor, after the batch dimension. */
const IMAGE_SHAPES = [[IMAGE_SIZE, IMAGE_SIZE], [PIXELS_PER_IMAGE]] as const;

interface InferRequest {
  id: string | undefined;
  pixels: Float32Array;
}

/**
 * The model, initialised; 404 if unknown, 503 if it fails to initialise (a probe must be able to
 * tell "not ready" from "no such model", and must not see a 500 for an expected state).
 */
async function readyModel(name: string): Promise<ServedModel> {
  try {
    return await requireModel(name);
  } catch (error) {
    if (error instanceof Problem) throw error;
    console.error(error);
    throw new Problem(503, 'Service Unavailable', `model "${name}" failed to initialise; the error is in the Worker's logs`);
  }
}

/** The validated input shape, `[N, 28, 28]` or `[N, 784]`; 400 for anything else. */
function inputShape(shape: unknown): number[] {
  const [count, ...image] = Array.isArray(shape) ? (shape as unknown[]) : [];
  const known = IMAGE_SHAPES.some((dims) => image.length === dims.length && dims.every((size, i) => image[i] === size));
  if (!known || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    const got = Array.isArray(shape) && shape.length <= 4 ? `[${shape.map(describe).join(', ')}]` : describe(shape);
    throw badRequest(`inputs[0].shape must be [N, 28, 28] or [N, 784], got ${got}`);
  }
  return shape as number[];
}

/** Only the one output exists; asking for another is a mistake worth reporting, not ignoring. */
function checkRequestedOutputs(outputs: unknown): void {
  if (outputs === undefined) return;
  if (!Array.isArray(outputs)) throw badRequest(`outputs must be an array, got ${describe(outputs)}`);
  outputs.forEach((output: unknown, i) => {
    if (requireObject(output, `outputs[${i}]`).name !== OUTPUT_NAME) {
      throw badRequest(`outputs[${i}].name must be "${OUTPUT_NAME}", the only output of this model`);
    }
  });
}

function decodeInferRequest(document: unknown): InferRequest {
  const body = requireObject(document, 'body');
  const id = body.id;
  if (id !== undefined && typeof id !== 'string') throw badRequest(`id must be a string, got ${describe(id)}`);
  checkRequestedOutputs(body.outputs);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw badRequest(`inputs must be an array of exactly one tensor, "${INPUT_NAME}"; got ${describe(inputs)}`);
  }
  const input = requireObject(inputs[0], 'inputs[0]');
  if (input.name !== INPUT_NAME) {
    throw badRequest(`inputs[0].name is ${describe(input.name)}; this model's input is "${INPUT_NAME}"`);
  }
  if (input.datatype !== 'UINT8' && input.datatype !== 'FP32') {
    throw badRequest(`inputs[0].datatype is ${describe(input.datatype)}; send "UINT8" or "FP32"`);
  }
  const shape = inputShape(input.shape);
  const pixels = batchBuffer(shape[0]!, 'inputs[0]');
  // The protocol allows tensor data flat (row-major) or nested exactly as the shape says.
  const nested = Array.isArray(input.data) && Array.isArray(input.data[0]);
  copyTensor(input.data, nested ? shape : [pixels.length], 'inputs[0].data', pixels, 0, input.datatype === 'UINT8');
  return { id, pixels };
}

/** Routes of the v2 protocol. */
export const kserve = new Hono<AppEnv>()
  .get('/v2', (c) => c.json({ name: 'fashion-mnist-edge', version: API_VERSION, extensions: [] }))
  .get('/v2/health/live', (c) => c.json({ live: true }))
  .get('/v2/health/ready', async (c) => {
    await Promise.all(modelNames().map(readyModel));
    return c.json({ ready: true });
  })
  .get('/v2/models/:name', async (c) => {
    const model = await requireModel(c.req.param('name'));
    return c.json({
      name: model.name,
      versions: [model.version],
      platform: 'tensorflowjs_wasm',
      inputs: [{ name: INPUT_NAME, datatype: 'FP32', shape: [-1, IMAGE_SIZE, IMAGE_SIZE] }],
      outputs: [{ name: OUTPUT_NAME, datatype: 'FP32', shape: [-1, model.labels.length] }],
    });
  })
  .get('/v2/models/:name/ready', async (c) => {
    const model = await readyModel(c.req.param('name'));
    return c.json({ name: model.name, ready: true });
  })
  .post('/v2/models/:name/infer', async (c) => {
    const model = await requireModel(c.req.param('name'));
    requireMediaType(c.req.raw, ['application/json']);
    const body = await readRequestBody(c);
    const { id, pixels } = measure(c, 'decode', () => decodeInferRequest(parseJson(body)));
    const probabilities = infer(c, model, pixels);
    const count = pixels.length / PIXELS_PER_IMAGE;
    return c.json({
      model_name: model.name,
      model_version: model.version,
      ...(id === undefined ? {} : { id }),
      outputs: [{ name: OUTPUT_NAME, shape: [count, model.labels.length], datatype: 'FP32', data: Array.from(probabilities) }],
    });
  });
