/**
 * The Open Inference Protocol v2 (KServe, Triton): health, server and model metadata, and infer,
 * unversioned and under `/versions/{v}`, with Triton's binary tensor data and classification
 * extensions. Bodies are JSON whatever their Content-Type (Triton's clients send none, or
 * application/octet-stream), unless Inference-Header-Content-Length marks a binary request.
 * Pixels use the Fashion-MNIST scale 0..255 whatever the datatype.
 */
import { Hono, type Context } from 'hono';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { limitsOf, type AppEnv } from '../env.ts';
import { Problem } from '../http/problem.ts';
import { measureAsync } from '../http/timing.ts';
import { API_VERSION } from '../openapi.ts';
import { V2_EXTENSIONS, V2_SERVER_NAME } from '../protocol/v2-server.ts';
import { modelNames, type ServedModel } from '../inference/models.ts';
import { declaredHeaderLength } from '../protocol/binary-tensors.ts';
import { INPUT_DATATYPES } from '../protocol/datatypes.ts';
import { PIXEL_SCALE_PARAMETER } from '../protocol/pixel-scale.ts';
import { decodeInferRequest } from '../protocol/v2-request.ts';
import { inferResponse } from '../protocol/v2-response.ts';
import { requireVersion, versionsOf } from '../protocol/versions.ts';
import {
  batchBuffer,
  imageOptionsOf,
  infer,
  INPUT_NAME,
  OUTPUT_NAME,
  readRequestBody,
  requireModel,
} from './inference-route.ts';

const MODEL_PATHS = ['/v2/models/:name', '/v2/models/:name/versions/:version'] as const;

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
    throw new Problem(
      503,
      'Service Unavailable',
      `model "${name}" failed to initialise; the error is in the Worker's logs`,
    );
  }
}

/** The model (and version) the path names; 404 for an unknown model or version. */
async function targetModel(
  c: Context<AppEnv>,
  load: (name: string) => Promise<ServedModel>,
): Promise<ServedModel> {
  const params = c.req.param() as Record<string, string | undefined>;
  return requireVersion(await load(params.name!), params.version);
}

/** What the image input accepts: every numeric datatype as pixels, BYTES as encoded image files. */
const inputMetadata = {
  name: INPUT_NAME,
  datatype: 'FP32',
  shape: [-1, IMAGE_SIZE, IMAGE_SIZE],
  parameters: {
    datatypes: INPUT_DATATYPES,
    shapes: {
      pixels: [
        [-1, IMAGE_SIZE, IMAGE_SIZE],
        [-1, PIXELS_PER_IMAGE],
      ],
      BYTES: [[-1], [-1, 1]],
    },
    [PIXEL_SCALE_PARAMETER]: 255,
  },
};

/** Routes of the v2 protocol. */
export const kserve = new Hono<AppEnv>()
  .get('/v2', (c) =>
    c.json({ name: V2_SERVER_NAME, version: API_VERSION, extensions: V2_EXTENSIONS }),
  )
  .get('/v2/health/live', (c) => c.json({ live: true }))
  .get('/v2/health/ready', async (c) => {
    await Promise.all(modelNames().map(readyModel));
    return c.json({ ready: true });
  });

for (const path of MODEL_PATHS) {
  kserve.get(path, async (c) => {
    const model = await targetModel(c, requireModel);
    return c.json({
      name: model.name,
      versions: versionsOf(model),
      platform: 'tensorflowjs_wasm',
      inputs: [inputMetadata],
      outputs: [{ name: OUTPUT_NAME, datatype: 'FP32', shape: [-1, model.labels.length] }],
    });
  });

  kserve.get(`${path}/ready`, async (c) => {
    const model = await targetModel(c, readyModel);
    return c.json({ name: model.name, ready: true });
  });

  kserve.post(`${path}/infer`, async (c) => {
    const model = await targetModel(c, requireModel);
    const headerLength = declaredHeaderLength(c.req.raw, limitsOf(c.env).maxBodyBytes);
    const body = await readRequestBody(c);
    const target = {
      inputName: INPUT_NAME,
      outputName: OUTPUT_NAME,
      classes: model.labels.length,
      batch: batchBuffer,
    };
    const request = await measureAsync(
      c,
      'decode',
      decodeInferRequest(
        body,
        headerLength,
        target,
        imageOptionsOf(c),
        c.req.query(PIXEL_SCALE_PARAMETER),
      ),
    );
    const probabilities = infer(c, model, request.pixels);
    const answer = {
      modelName: model.name,
      modelVersion: model.version,
      id: request.id,
      outputName: OUTPUT_NAME,
      labels: model.labels,
    };
    return inferResponse(answer, probabilities, request.output);
  });
}
