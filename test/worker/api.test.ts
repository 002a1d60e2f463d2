/**
 * The Worker's HTTP API end to end: every endpoint and request encoding against the real bundle in
 * workerd. Assertions hold for any weights; test/model.test.ts and test/photo-accuracy.test.ts are
 * where the trained model's accuracy is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import {
  base64,
  CLASS_NAMES as CLASS_NAMES,
  testImages,
  toJpeg,
  toPng,
  toRows,
} from '../../harness/dataset.ts';
import { expectSameProbabilities } from './expect.ts';

interface Classification {
  predictions: { label: string; index: number; score: number }[];
  model: { name: string; version: string; sha256: string };
}
interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
}

const { images } = testImages(4);
const image = images[0]!;

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

async function postJson(path: string, body: unknown): Promise<Response> {
  return worker.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function ok<T>(response: Response): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

async function classify(body: BodyInit, type: string, query = ''): Promise<Classification> {
  return ok(
    await worker.fetch(`/v1/classify${query}`, {
      method: 'POST',
      headers: { 'Content-Type': type },
      body,
    }),
  );
}

/** All ten class probabilities, by class index, from a classify answer with top=10. */
function byIndex(result: Classification): number[] {
  const scores = new Array<number>(10);
  for (const { index, score } of result.predictions) scores[index] = score;
  return scores;
}

/** The rows of a :predict answer: "predictions" for the row format, "outputs" for the columnar one. */
async function tfPredict(body: object): Promise<number[][]> {
  const answer = await ok<Record<string, number[][]>>(
    await postJson('/v1/models/fashion-mnist:predict', body),
  );
  const key = 'inputs' in body ? 'outputs' : 'predictions';
  expect(Object.keys(answer)).toEqual([key]);
  return answer[key]!;
}

async function v2Infer(body: unknown): Promise<V2Response> {
  return ok(await postJson('/v2/models/fashion-mnist/infer', body));
}

describe('a cold isolate', () => {
  // Runs first: these are the Worker's very first requests, all at once, racing the model's lazy init.
  it('answers health and metadata endpoints concurrently, before any inference', async () => {
    const paths = [
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/fashion-mnist/ready',
      '/v2/models/fashion-mnist',
      '/v1/models/fashion-mnist',
      '/v1/models/fashion-mnist/metadata',
      '/v2',
      '/openapi.json',
    ];
    const responses = await Promise.all(paths.map((path) => worker.fetch(path)));
    for (const [i, response] of responses.entries()) expect(response.status, paths[i]).toBe(200);
    await Promise.all(responses.map((response) => response.body?.cancel()));
  });
});

describe('POST /v1/classify', () => {
  it('classifies 784 raw bytes and answers the top 3, most probable first', async () => {
    const result = await classify(image, 'application/octet-stream');
    expect(result.predictions).toHaveLength(3);
    for (const p of result.predictions) {
      expect(p.label).toBe(CLASS_NAMES[p.index]);
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
    }
    const scores = result.predictions.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(result.model).toMatchObject({ name: 'fashion-mnist', version: expect.any(String) });
    expect(result.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('honours top and an explicit model name', async () => {
    const all = await classify(image, 'application/octet-stream', '?top=10&model=fashion-mnist');
    expect(all.predictions.map((p) => p.index).sort((a, b) => a - b)).toEqual([
      ...CLASS_NAMES.keys(),
    ]);
    expect(all.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 4);
    const one = await classify(image, 'application/octet-stream', '?top=1');
    expect(one.predictions).toEqual([all.predictions[0]]);
  });

  it('gives the same answer for raw bytes, JSON (flat and rows), PNG, and parameterised Content-Types', async () => {
    const raw = byIndex(await classify(image, 'application/octet-stream', '?top=10'));
    const variants = await Promise.all([
      classify(JSON.stringify({ pixels: Array.from(image) }), 'application/json', '?top=10'),
      classify(
        JSON.stringify({ pixels: toRows(image) }),
        'Application/JSON; charset=utf-8',
        '?top=10',
      ),
      classify(toPng(image), 'image/png', '?top=10'),
      classify(toPng(image), 'IMAGE/PNG; foo=bar', '?top=10'),
    ]);
    for (const variant of variants) expectSameProbabilities(byIndex(variant), raw);
  });

  it('classifies a JPEG', async () => {
    const result = await classify(toJpeg(image), 'image/jpeg', '?top=10');
    expect(result.predictions).toHaveLength(10);
    expect(result.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 4);
  });
});

describe('TensorFlow Serving API', () => {
  it('reports the model AVAILABLE', async () => {
    const status = await ok<{ model_version_status: unknown[] }>(
      await worker.fetch('/v1/models/fashion-mnist'),
    );
    expect(status.model_version_status).toEqual([
      {
        version: expect.any(String),
        state: 'AVAILABLE',
        status: { error_code: 'OK', error_message: '' },
      },
    ]);
  });

  it('describes the serving_default signature', async () => {
    const metadata = await ok<any>(await worker.fetch('/v1/models/fashion-mnist/metadata'));
    expect(metadata.model_spec).toMatchObject({
      name: 'fashion-mnist',
      version: expect.any(String),
    });
    const signature = metadata.metadata.signature_def.signature_def.serving_default;
    expect(signature.method_name).toBe('tensorflow/serving/predict');
    expect(signature.inputs.images.dtype).toBe('DT_FLOAT');
    expect(signature.inputs.images.tensor_shape.dim.map((d: { size: string }) => d.size)).toEqual([
      '-1',
      '28',
      '28',
    ]);
    expect(
      signature.outputs.probabilities.tensor_shape.dim.map((d: { size: string }) => d.size),
    ).toEqual(['-1', '10']);
  });

  it('accepts every instance encoding, row and columnar, with the same results', async () => {
    const [reference] = await tfPredict({ instances: [Array.from(image)] });
    expect(reference).toHaveLength(10);
    const encodings = [
      { instances: [toRows(image)] },
      { instances: [{ b64: base64(toPng(image)) }] },
      { instances: [{ images: Array.from(image) }] },
      { instances: [{ images: { b64: base64(toPng(image)) } }], signature_name: 'serving_default' },
      { inputs: [Array.from(image)] },
      { inputs: { images: [toRows(image)] } },
    ];
    for (const body of encodings) {
      const predictions = await tfPredict(body);
      expect(predictions).toHaveLength(1);
      expectSameProbabilities(predictions[0]!, reference!);
    }
  });

  it('answers a batch row by row, mixed encodings included', async () => {
    const singles = await Promise.all(
      images.map(async (img) => (await tfPredict({ instances: [Array.from(img)] }))[0]!),
    );
    const batch = await tfPredict({
      instances: images.map((img, i) => (i % 2 ? toRows(img) : { b64: base64(toPng(img)) })),
    });
    expect(batch).toHaveLength(images.length);
    batch.forEach((row, i) => expectSameProbabilities(row, singles[i]!));
  });

  it('takes a full batch of 256', async () => {
    const predictions = await tfPredict({
      instances: Array.from({ length: 256 }, (_, i) => Array.from(images[i % 4]!)),
    });
    expect(predictions).toHaveLength(256);
  });
});

describe('Open Inference Protocol v2', () => {
  it('answers the health probes and server metadata', async () => {
    expect(await ok(await worker.fetch('/v2/health/live'))).toEqual({ live: true });
    expect(await ok(await worker.fetch('/v2/health/ready'))).toEqual({ ready: true });
    expect(await ok(await worker.fetch('/v2/models/fashion-mnist/ready'))).toEqual({
      name: 'fashion-mnist',
      ready: true,
    });
    expect(await ok(await worker.fetch('/v2'))).toEqual({
      name: expect.any(String),
      version: expect.any(String),
      extensions: ['binary_tensor_data', 'classification'],
    });
    const head = await worker.fetch('/v2/health/live', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('describes the model', async () => {
    expect(await ok(await worker.fetch('/v2/models/fashion-mnist'))).toEqual({
      name: 'fashion-mnist',
      versions: [expect.any(String)],
      platform: expect.any(String),
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [-1, 28, 28],
          parameters: expect.objectContaining({
            datatypes: expect.arrayContaining(['UINT8', 'INT32', 'INT64', 'FP16', 'FP64', 'BYTES']),
          }),
        },
      ],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
    });
  });

  it('infers a batch in every shape and datatype, echoing the id', async () => {
    const flat = images.flatMap((img) => Array.from(img));
    const reference = await v2Infer({
      id: 'req-42',
      inputs: [{ name: 'images', shape: [4, 784], datatype: 'UINT8', data: flat }],
    });
    expect(reference).toMatchObject({
      model_name: 'fashion-mnist',
      model_version: expect.any(String),
      id: 'req-42',
    });
    expect(reference.outputs).toHaveLength(1);
    expect(reference.outputs[0]).toMatchObject({
      name: 'probabilities',
      shape: [4, 10],
      datatype: 'FP32',
    });
    expect(reference.outputs[0]!.data).toHaveLength(40);

    const variants = [
      { inputs: [{ name: 'images', shape: [4, 28, 28], datatype: 'FP32', data: flat }] },
      {
        inputs: [
          { name: 'images', shape: [4, 28, 28], datatype: 'UINT8', data: images.map(toRows) },
        ],
      },
      {
        inputs: [
          {
            name: 'images',
            shape: [4, 784],
            datatype: 'FP32',
            data: images.map((img) => Array.from(img)),
          },
        ],
        outputs: [{ name: 'probabilities' }],
      },
    ];
    for (const body of variants) {
      const response = await v2Infer(body);
      expect(response.id).toBeUndefined();
      expectSameProbabilities(response.outputs[0]!.data, reference.outputs[0]!.data);
    }
  });
});

describe('consistency across the three APIs', () => {
  it('gives the same probabilities for the same image through classify, :predict and v2 infer', async () => {
    for (const img of images) {
      const viaClassify = byIndex(await classify(toPng(img), 'image/png', '?top=10'));
      const [viaPredict] = await tfPredict({ instances: [{ b64: base64(toPng(img)) }] });
      const viaInfer = await v2Infer({
        inputs: [{ name: 'images', shape: [1, 784], datatype: 'UINT8', data: Array.from(img) }],
      });
      expectSameProbabilities(viaPredict!, viaClassify);
      expectSameProbabilities(viaInfer.outputs[0]!.data, viaClassify);
    }
  });
});

describe('GET /v1/runtime', () => {
  it('reports the answering isolate: the SIMD backend, the models loaded, predictions counted, no upload bytes held', async () => {
    const before = await worker.fetch('/v1/runtime');
    expect(before.headers.get('Cache-Control')).toBe('no-store');
    const { predictions } = (await before.json()) as { predictions: number };
    const image = images[0]!;
    await classify(image, 'application/octet-stream');
    expect(await ok(await worker.fetch('/v1/runtime'))).toMatchObject({
      backend: 'wasm',
      simd: true,
      initialised: true,
      initialisations: 1,
      models: expect.arrayContaining(['fashion-mnist']),
      predictions: predictions + 1,
      bufferedBodyBytes: 0,
    });
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every endpoint', async () => {
    const document = await ok<any>(await worker.fetch('/openapi.json'));
    expect(document.openapi).toMatch(/^3\.1\./);
    const operations = Object.entries(document.paths as Record<string, object>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/classify',
        'GET /v1/models/{name}',
        'GET /v1/models/{name}/metadata',
        'POST /v1/models/{name}:predict',
        'POST /v1/models/{name}:classify',
        'GET /v1/models/{name}/versions/{version}',
        'GET /v1/models/{name}/versions/{version}/metadata',
        'POST /v1/models/{name}/versions/{version}:predict',
        'POST /v1/models/{name}/versions/{version}:classify',
        'GET /v1/models/{name}/labels/{label}',
        'GET /v1/models/{name}/labels/{label}/metadata',
        'POST /v1/models/{name}/labels/{label}:predict',
        'POST /v1/models/{name}/labels/{label}:classify',
        'GET /v2',
        'GET /v2/health/live',
        'GET /v2/health/ready',
        'GET /v2/models/{name}',
        'GET /v2/models/{name}/ready',
        'POST /v2/models/{name}/infer',
        'GET /v2/models/{name}/versions/{version}',
        'GET /v2/models/{name}/versions/{version}/ready',
        'POST /v2/models/{name}/versions/{version}/infer',
        'GET /client.js',
        'GET /v1/runtime',
        'GET /openapi.json',
      ].sort(),
    );
    expect(Object.keys(document.paths['/v1/classify'].post.requestBody.content).sort()).toEqual([
      'application/json',
      'application/octet-stream',
      'image/avif',
      'image/gif',
      'image/heic',
      'image/jpeg',
      'image/png',
      'image/tiff',
      'image/webp',
    ]);
    expect(
      document.components.responses.BadRequest.content['application/problem+json'].schema.$ref,
    ).toBe('#/components/schemas/Problem');
    // Every $ref resolves within the document.
    for (const [, pointer] of JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = pointer!.split('/').reduce((node: any, key) => node?.[key], document);
      expect(target, pointer).toBeDefined();
    }
  });
});
