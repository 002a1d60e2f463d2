/**
 * Requests as TF Serving REST and Triton's HTTP clients send them (per api_rest.md, the binary tensor
 * data and classification extensions, tritonclient.http), answers read the way those clients read
 * them, against the real bundle in workerd.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { CLASS_NAMES, testImages, toPng } from '../../harness/dataset.ts';

const { images, labels } = testImages(2);
const image = images[0]!;

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

const le32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer);

/** A binary-extension body: JSON header, then raw tensor bytes; and its header length. */
function binaryBody(
  header: object,
  tensor: Uint8Array,
): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: new Uint8Array(Buffer.concat([json, tensor])), headerLength: json.length };
}

/** Splits an answer as InferResult does: JSON header of Inference-Header-Content-Length bytes, then the buffer. */
async function inferResult(response: Response): Promise<{ result: any; buffer: Buffer }> {
  expect(response.status).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  const length = response.headers.get('Inference-Header-Content-Length');
  if (length === null)
    return { result: JSON.parse(bytes.toString('utf8')), buffer: Buffer.alloc(0) };
  return {
    result: JSON.parse(bytes.subarray(0, Number(length)).toString('utf8')),
    buffer: bytes.subarray(Number(length)),
  };
}

/** deserialize_bytes_tensor: 4-byte little-endian length, then the bytes, per element. */
function bytesElements(buffer: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < buffer.length;) {
    const length = buffer.readUInt32LE(offset);
    out.push(buffer.subarray(offset + 4, offset + 4 + length).toString('utf8'));
    offset += 4 + length;
  }
  return out;
}

const flatPixels = images.flatMap((img) => Array.from(img));

describe('Triton HTTP client', () => {
  it('sync client: binary FP32 input, no Content-Type, binary output, class_count=3, on both paths', async () => {
    const fp32 = new Uint8Array(Float32Array.from(flatPixels).buffer);
    const header = {
      inputs: [
        {
          name: 'images',
          shape: [2, 784],
          datatype: 'FP32',
          parameters: { binary_data_size: fp32.length },
        },
      ],
      outputs: [{ name: 'probabilities', parameters: { binary_data: true, classification: 3 } }],
    };
    const { body, headerLength } = binaryBody(header, fp32);
    for (const path of [
      '/v2/models/fashion-mnist/infer',
      '/v2/models/fashion-mnist/versions/1/infer',
    ]) {
      const { result, buffer } = await inferResult(
        await worker.fetch(path, {
          method: 'POST',
          headers: { 'Inference-Header-Content-Length': String(headerLength) },
          body,
        }),
      );
      expect(result).toMatchObject({ model_name: 'fashion-mnist', model_version: '1' });
      const [output] = result.outputs;
      expect(output).toMatchObject({
        name: 'probabilities',
        datatype: 'BYTES',
        shape: [2, 3],
        parameters: { binary_data_size: buffer.length },
      });
      const strings = bytesElements(buffer);
      expect(strings).toHaveLength(6);
      for (const [i, text] of strings.entries()) {
        const [score, index, label] = text.split(':');
        expect(CLASS_NAMES[Number(index)]).toBe(label);
        expect(Number(score)).toBeGreaterThanOrEqual(0);
        if (i % 3 === 0) expect(Number(index)).toBe(labels[i / 3]); // the trained model gets these two right
      }
    }
  });

  it('asyncio client: application/octet-stream JSON, Accept-Encoding gzip, default binary_data_output, UINT8/INT64/FP16/FP64 agree', async () => {
    const uint8 = Uint8Array.from(flatPixels);
    const variants: [string, Uint8Array][] = [
      ['UINT8', uint8],
      ['INT64', new Uint8Array(BigInt64Array.from(flatPixels, BigInt).buffer)],
      ['FP64', new Uint8Array(Float64Array.from(flatPixels).buffer)],
      // Float16 of an integer 0..255 is exact: sign 0, exponent and fraction written by hand.
      [
        'FP16',
        new Uint8Array(
          Uint16Array.from(flatPixels, (v) =>
            v === 0
              ? 0
              : (() => {
                  const e = Math.floor(Math.log2(v));
                  return ((e + 15) << 10) | Math.round((v / 2 ** e - 1) * 1024);
                })(),
          ).buffer,
        ),
      ],
    ];
    let reference: Float32Array | undefined;
    for (const [datatype, tensor] of variants) {
      const { body, headerLength } = binaryBody(
        {
          inputs: [
            {
              name: 'images',
              shape: [2, 28, 28],
              datatype,
              parameters: { binary_data_size: tensor.length },
            },
          ],
          parameters: { binary_data_output: true },
        },
        tensor,
      );
      const response = await worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Accept-Encoding': 'gzip, deflate',
          'Inference-Header-Content-Length': String(headerLength),
        },
        body,
      });
      const { result, buffer } = await inferResult(response);
      expect(result.outputs[0]).toMatchObject({
        datatype: 'FP32',
        shape: [2, 10],
        parameters: { binary_data_size: 80 },
      });
      const probabilities = new Float32Array(
        buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length),
      );
      reference ??= probabilities;
      expect(Array.from(probabilities), datatype).toEqual(Array.from(reference));
    }
    // JSON with the asyncio client's Content-Type works too.
    const json = await worker.fetch('/v2/models/fashion-mnist/infer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: JSON.stringify({
        inputs: [{ name: 'images', shape: [2, 784], datatype: 'INT32', data: flatPixels }],
      }),
    });
    const { result } = await inferResult(json);
    expect(result.outputs[0].data).toEqual(Array.from(reference!));
  });

  it('metadata and health answer uncompressed to Accept-Encoding: gzip; other routes are still compressed', async () => {
    const raw = (path: string) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        httpRequest(
          new URL(path, worker.url),
          { headers: { 'Accept-Encoding': 'gzip, deflate' } },
          (res) => {
            const chunks: Buffer[] = [];
            res
              .on('data', (c: Buffer) => chunks.push(c))
              .on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        )
          .on('error', reject)
          .end();
      });
    for (const path of [
      '/v2',
      '/v2/models/fashion-mnist',
      '/v2/models/fashion-mnist/versions/1',
      '/v1/models/fashion-mnist/metadata',
    ]) {
      const { headers, body } = await raw(path);
      // tritonclient decompresses only gzip and deflate; identity is the body as it is.
      expect(headers['content-encoding'], path).toBe('identity');
      expect(headers['cache-control'], path).toBe('no-transform');
      expect(JSON.parse(body.toString('utf8'))).toBeTypeOf('object');
    }
    // Other routes are compressed by workerd when asked: what the protocol routes send is what keeps them plain.
    expect((await raw('/openapi.json')).headers['content-encoding']).toBe('gzip');
  });

  it('BYTES input of PNG files, binary and JSON base64, agrees with UINT8 pixels', async () => {
    const pngs = images.map((img) => toPng(img));
    const tensor = Buffer.concat(pngs.flatMap((png) => [le32(png.length), Buffer.from(png)]));
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          {
            name: 'images',
            shape: [2, 1],
            datatype: 'BYTES',
            parameters: { binary_data_size: tensor.length },
          },
        ],
      },
      tensor,
    );
    const binary = await inferResult(
      await worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(headerLength) },
        body,
      }),
    );
    const json = await inferResult(
      await worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            {
              name: 'images',
              shape: [2],
              datatype: 'BYTES',
              data: pngs.map((png) => Buffer.from(png).toString('base64')),
            },
          ],
        }),
      }),
    );
    expect(json.result.outputs[0].data).toEqual(binary.result.outputs[0].data);
    expect(binary.result.outputs[0].data).toHaveLength(20);
  });

  it('health, readiness and metadata on versioned paths; unknown version 404 with error naming the versions', async () => {
    expect((await worker.fetch('/v2/models/fashion-mnist/versions/1/ready')).status).toBe(200);
    const metadata = await (await worker.fetch('/v2/models/fashion-mnist/versions/1')).json();
    expect(metadata).toMatchObject({ name: 'fashion-mnist', versions: ['1'] });
    for (const path of [
      '/v2/models/fashion-mnist/versions/2',
      '/v2/models/fashion-mnist/versions/2/ready',
    ]) {
      const response = await worker.fetch(path);
      expect(response.status).toBe(404);
      expect((await response.json()).error).toBe(
        'model "fashion-mnist" has no version "2"; versions: 1',
      );
    }
  });

  it('errors carry the message in "error" (what _get_error reads) and keep RFC 9457 fields', async () => {
    const tensor = new Uint8Array(100);
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          {
            name: 'images',
            shape: [1, 784],
            datatype: 'UINT8',
            parameters: { binary_data_size: 100 },
          },
        ],
      },
      tensor,
    );
    const response = await worker.fetch('/v2/models/fashion-mnist/infer', {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(headerLength) },
      body,
    });
    const problem = await response.json();
    expect(response.status).toBe(400);
    expect(problem).toMatchObject({
      type: 'about:blank',
      status: 400,
      error: 'inputs[0] holds 100 bytes of binary data; 1 UINT8 images are 784',
      detail: problem.error,
    });
    const tooLong = await worker.fetch('/v2/models/fashion-mnist/infer', {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': '99999999' },
      body: '{}',
    });
    expect(tooLong.status).toBe(413);
    expect((await tooLong.json()).error).toMatch(/declares a JSON header of 99999999 bytes/);
  });
});

describe('TF Serving REST client', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    worker.fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });

  it('status, metadata, predict and classify on unversioned, versioned and labelled paths, form-urlencoded as curl -d sends', async () => {
    for (const base of [
      '/v1/models/fashion-mnist',
      '/v1/models/fashion-mnist/versions/1',
      '/v1/models/fashion-mnist/labels/latest',
    ]) {
      expect((await (await worker.fetch(base)).json()).model_version_status[0]).toMatchObject({
        version: '1',
        state: 'AVAILABLE',
      });
      expect((await worker.fetch(`${base}/metadata`)).status).toBe(200);
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const predict = await (
        await post(`${base}:predict`, { instances: [Array.from(image)] }, form)
      ).json();
      expect(predict.predictions[0]).toHaveLength(10);
      const classify = await (
        await post(`${base}:classify?top=2`, {
          examples: [
            { images: Array.from(image) },
            { images: { b64: Buffer.from(toPng(images[1]!)).toString('base64') } },
          ],
        })
      ).json();
      expect(classify.result).toHaveLength(2);
      expect(classify.result[0]).toHaveLength(2);
      expect(classify.result[0][0]).toEqual([CLASS_NAMES[labels[0]!], expect.any(Number)]);
      expect(classify.result[1][0][0]).toBe(CLASS_NAMES[labels[1]!]);
    }
    const all = await (
      await post('/v1/models/fashion-mnist:classify', { instances: [Array.from(image)] })
    ).json();
    expect(all.result[0]).toHaveLength(10);
  });

  it('columnar requests get "outputs"; errors carry "error"; unknown version and label 404 naming what exists', async () => {
    const columnar = await (
      await post('/v1/models/fashion-mnist:predict', { inputs: { images: [Array.from(image)] } })
    ).json();
    expect(Object.keys(columnar)).toEqual(['outputs']);
    const bad = await post('/v1/models/fashion-mnist:predict', { instances: [] });
    expect(await bad.json()).toMatchObject({
      status: 400,
      error: 'instances is empty; send at least one image',
    });
    const version = await worker.fetch('/v1/models/fashion-mnist/versions/7:predict', {
      method: 'POST',
      body: '{}',
    });
    expect(version.status).toBe(404);
    expect((await version.json()).error).toMatch(/no version "7"; versions: 1/);
    const label = await worker.fetch('/v1/models/fashion-mnist/labels/canary');
    expect((await label.json()).error).toMatch(/no version label "canary"; labels: latest/);
  });
});

describe('pixel scale 0..1', () => {
  const scaled = Array.from(image, (v) => v / 255);
  it('is refused with a 400 saying to multiply by 255 on all three APIs, and accepted with pixel_scale=1', async () => {
    const refusals = [
      worker.fetch('/v1/classify', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pixels: scaled }),
      }),
      worker.fetch('/v1/models/fashion-mnist:predict', {
        method: 'POST',
        body: JSON.stringify({ instances: [scaled] }),
      }),
      worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'images', shape: [1, 784], datatype: 'FP32', data: scaled }],
        }),
      }),
    ];
    for (const response of await Promise.all(refusals)) {
      expect(response.status).toBe(400);
      expect((await response.json()).detail).toMatch(/within 0\.\.1 only .*multiply them by 255/);
    }
    const expected = (
      await (
        await worker.fetch('/v1/models/fashion-mnist:predict', {
          method: 'POST',
          body: JSON.stringify({ instances: [Array.from(image)] }),
        })
      ).json()
    ).predictions[0];
    const viaQuery = (
      await (
        await worker.fetch('/v1/models/fashion-mnist:predict?pixel_scale=1', {
          method: 'POST',
          body: JSON.stringify({ instances: [scaled] }),
        })
      ).json()
    ).predictions[0];
    const viaParameter = await (
      await worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        body: JSON.stringify({
          parameters: { pixel_scale: 1 },
          inputs: [{ name: 'images', shape: [1, 784], datatype: 'FP32', data: scaled }],
        }),
      })
    ).json();
    for (let i = 0; i < 10; i++) {
      expect(viaQuery[i]).toBeCloseTo(expected[i], 5);
      expect(viaParameter.outputs[0].data[i]).toBeCloseTo(expected[i], 5);
    }
  });
});
