/**
 * The inference runtime in workerd (through the probe Worker, test/worker/fixtures/probe-worker.ts),
 * checked against tfjs' stock wasm backend in Node.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { decodeAsset, type ModelAsset } from '../../classifier/asset-format.ts';
import { createNetwork } from '../../classifier/forward/create-network.ts';
import { onceUntilSuccess } from '../../worker/runtime/once.ts';
import { SIMD_SOURCE, trimWasm, usedKernelExports } from '../../scripts/wasm-trim.ts';
import { PROJECT_ROOT } from '../../project-root.ts';
import { useNodeWasm } from './fixtures/node-wasm.ts';
import { simdFingerprint } from './fixtures/simd-fingerprint.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import type { RuntimeInfo } from '../../worker/runtime/shared-backend.ts';

const PROBE = 'test/worker/fixtures/probe-worker.ts';
const ASSET_PATH = join(PROJECT_ROOT, 'models/fashion-mnist-mlp.bin');

interface ModelResponse {
  name: string;
  sha256: string;
  initialisedAtStart: boolean;
  getModelMs: number;
  runtime: RuntimeInfo;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function getJson<T>(worker: WorkerUnderTest, path: string): Promise<T> {
  const response = await worker.fetch(path);
  const body = await response.text();
  expect(response.status, body).toBe(200);
  return JSON.parse(body) as T;
}

async function predictInWorker(
  worker: WorkerUnderTest,
  pixels: Float32Array,
  count: number,
): Promise<Float32Array> {
  const response = await worker.fetch(`/predict?count=${count}`, {
    method: 'POST',
    body: pixels.slice(),
  });
  expect(response.status).toBe(200);
  return new Float32Array(await response.arrayBuffer());
}

/** Deterministic test images: blank, saturated, a gradient, and pseudo-random noise. */
function testImages(count: number): Float32Array {
  const pixels = new Float32Array(count * PIXELS_PER_IMAGE);
  let state = 20240601;
  for (let image = 0; image < count; image++) {
    for (let i = 0; i < PIXELS_PER_IMAGE; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const value = [0, 255, (i * 255) / PIXELS_PER_IMAGE][image] ?? state % 256;
      pixels[image * PIXELS_PER_IMAGE + i] = value;
    }
  }
  return pixels;
}

let asset: ModelAsset;
let worker: WorkerUnderTest;

beforeAll(async () => {
  // A plain Uint8Array copy: decodeAsset slices its input, and Buffer#slice returns a view of the
  // whole pooled buffer instead of a copy.
  asset = await decodeAsset(new Uint8Array(await readFile(ASSET_PATH)));
  worker = await startWorker({ entry: PROBE });
});
afterAll(async () => worker?.dispose());

describe('the SIMD wasm binary is the one running', () => {
  test('the bundle holds exactly one .wasm: the SIMD build, trimmed to the served kernels', async () => {
    const wasmFiles = (await readdir(worker.bundleDir)).filter((name) => name.endsWith('.wasm'));
    expect(wasmFiles).toHaveLength(1);
    const bundled = new Uint8Array(await readFile(join(worker.bundleDir, wasmFiles[0]!)));
    const simd = new Uint8Array(await readFile(SIMD_SOURCE));
    const kernels = usedKernelExports();
    // A deterministic derivation of exactly tfjs' SIMD binary: trimming it again gives these bytes.
    expect(sha256(await trimWasm(simd, kernels))).toBe(sha256(bundled));

    const [trimmed, original] = [bundled, simd].map((bytes) => new WebAssembly.Module(bytes));
    expect(WebAssembly.Module.imports(trimmed!)).toEqual(WebAssembly.Module.imports(original!));
    const exported = (module: WebAssembly.Module): string[] =>
      WebAssembly.Module.exports(module).map((entry) => entry.name);
    const removed = exported(original!).filter((name) => !exported(trimmed!).includes(name));
    expect(exported(original!)).toEqual(expect.arrayContaining(exported(trimmed!)));
    expect(exported(trimmed!)).toEqual(
      expect.arrayContaining(['init', 'malloc', 'free', 'register_tensor', ...kernels]),
    );
    expect(removed).toContain('Sigmoid');
    expect(removed).not.toContain('_FusedMatMul');

    // XNNPACK's wasmsimd microkernels survive: the text form still holds thousands of f32x4 ops.
    const { default: binaryen } = await import('binaryen');
    const module = binaryen.readBinary(bundled);
    module.setFeatures(binaryen.Features.SIMD128);
    const f32x4 = module.emitText().match(/\bf32x4\.\w+/g)?.length ?? 0;
    module.dispose();
    console.info(
      `bundled wasm: ${bundled.length} of ${simd.length} bytes, ${removed.length} kernel exports removed, ${f32x4} f32x4 ops`,
    );
    expect(f32x4).toBeGreaterThan(1000);
  });

  test('the runtime reports the wasm backend on the SIMD binary', async () => {
    const { runtime } = await getJson<ModelResponse>(worker, '/model');
    expect(runtime).toMatchObject({
      backend: 'wasm',
      wasmBinary: 'tfjs-backend-wasm-simd.wasm',
      simd: true,
      tfjsVersion: '4.22.0',
      initialised: true,
    });
    expect(runtime.wasmHeapBytes).toBeGreaterThan(0);
  });

  // XNNPACK's softmax and sigmoid round differently in the SIMD and plain builds: results equal to
  // the SIMD build's, and unequal to the plain build's, mean SIMD kernels computed them in workerd.
  test('softmax/sigmoid in workerd match the SIMD build bit for bit, not the plain one', async () => {
    const { fingerprint } = await getJson<{ fingerprint: string }>(worker, '/fingerprint');
    await useNodeWasm('plain');
    const plain = await simdFingerprint();
    await useNodeWasm('simd');
    const simd = await simdFingerprint();
    expect(plain).not.toBe(simd);
    expect(fingerprint).toBe(simd);
  });
});

describe('initialisation', () => {
  test('20 concurrent first requests share one initialisation', async () => {
    const fresh = await startWorker({ entry: PROBE });
    try {
      expect((await getJson<{ runtime: RuntimeInfo }>(fresh, '/info')).runtime.initialised).toBe(
        false,
      );
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => getJson<ModelResponse>(fresh, '/model')),
      );
      for (const { runtime } of responses) {
        expect(runtime.initialisations).toBe(1);
        // One copy of the weights: a kernel and a bias per dense layer.
        expect(runtime.tensors).toBe(asset.tensors.size);
      }
      const after = await getJson<{ runtime: RuntimeInfo }>(fresh, '/info');
      expect(after.runtime).toMatchObject({ initialisations: 1, tensors: asset.tensors.size });
      const firstUse = Math.max(...responses.map((response) => response.getModelMs));
      const early = responses.filter((response) => !response.initialisedAtStart).length;
      console.info(
        `first use: ${firstUse} ms; ${early}/20 requests found the runtime uninitialised`,
      );
    } finally {
      await fresh.dispose();
    }
  });

  test('an unknown model name is undefined, not an initialisation error', async () => {
    const response = await worker.fetch('/model?name=no-such-model');
    expect(response.status).toBe(404);
  });

  test('onceUntilSuccess shares one run among concurrent callers and retries after a failure', async () => {
    let runs = 0;
    let fail = true;
    const init = onceUntilSuccess(async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (fail) throw new Error('first start fails');
      return runs;
    });
    const failed = await Promise.allSettled([init(), init(), init()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(runs).toBe(1);
    fail = false;
    expect(await Promise.all([init(), init()])).toEqual([2, 2]);
    expect(await init()).toBe(2);
    expect(runs).toBe(2);
  });
});

describe('inference', () => {
  test('serves the bundled asset', async () => {
    const served = await getJson<ModelResponse>(worker, '/model');
    expect(served.name).toBe(asset.name);
    expect(served.sha256).toBe(asset.sha256);
  });

  test('predictions equal those of createNetwork on the wasm backend in Node (within 1e-5)', async () => {
    const count = 6;
    const pixels = testImages(count);
    await useNodeWasm('simd');
    const network = createNetwork(asset);
    const expected = network.predict(pixels, count);
    network.dispose();

    const batch = await predictInWorker(worker, pixels, count);
    expect(batch).toHaveLength(count * network.classes);
    const singles: number[] = [];
    for (let image = 0; image < count; image++) {
      const one = pixels.subarray(image * PIXELS_PER_IMAGE, (image + 1) * PIXELS_PER_IMAGE);
      singles.push(...(await predictInWorker(worker, one, 1)));
    }
    for (const actual of [batch, Float32Array.from(singles)]) {
      for (let i = 0; i < expected.length; i++)
        expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  test('100 predictions leave the tensor count and the wasm heap unchanged', async () => {
    const pixels = testImages(4);
    await predictInWorker(worker, pixels, 4); // warm up: the heap may grow once for the largest batch
    const before = (await getJson<{ runtime: RuntimeInfo }>(worker, '/info')).runtime;
    for (let i = 0; i < 100; i++)
      await predictInWorker(
        worker,
        pixels.subarray(0, (1 + (i % 4)) * PIXELS_PER_IMAGE),
        1 + (i % 4),
      );
    const after = (await getJson<{ runtime: RuntimeInfo }>(worker, '/info')).runtime;
    expect(before.tensors).toBe(asset.tensors.size);
    expect(after.tensors).toBe(before.tensors);
    expect(after.wasmHeapBytes).toBe(before.wasmHeapBytes);
  });
});
