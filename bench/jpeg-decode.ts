/**
 * JPEG decoding cost: our luma decoder at the scale the pipeline uses (jpeg/decode.ts, long side
 * >= DECODE_LONG_SIDE) against jpeg-js's full RGBA decode (what the Worker ran before this decoder) and, when it is installed
 * somewhere, @jsquash/jpeg (mozjpeg in wasm, full RGBA). Photo-like sharp-encoded fixtures, quality
 * 90, 4:2:0, baseline and progressive. Figures: process CPU time per decode (median), heap and
 * ArrayBuffer growth across one decode, and each decoder's minified bundle size.
 *
 *   npx tsx --expose-gc bench/jpeg-decode.ts        (JSQUASH_JPEG=<dir of @jsquash/jpeg> to include it)
 *
 * Writes bench-results/jpeg-decode.json and prints a markdown table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { decodeJpeg } from '../worker/image/jpeg/decode.ts';
import { readJpegHeader } from '../worker/image/jpeg/header.ts';
import { DECODE_LONG_SIDE } from '../worker/image/gray.ts';
import { photoScene } from '../harness/image/photo-scene.ts';
import { median, round } from './stats.ts';

const SIZES: [name: string, width: number, height: number, runs: number][] = [
  ['512x512', 512, 512, 25],
  ['1024x1024', 1024, 1024, 15],
  ['12 MP', 4032, 3024, 5],
  ['24 MP', 6000, 4000, 3],
];
const JSQUASH_DIR = process.env.JSQUASH_JPEG ?? '/tmp/jsquash/node_modules/@jsquash/jpeg';

type Decoder = (bytes: Uint8Array) => unknown;

interface Figure {
  size: string;
  mode: 'baseline' | 'progressive';
  fileBytes: number;
  decoder: string;
  cpuMs: number;
  runs: number;
  heapDeltaMiB: number;
  arrayBuffersDeltaMiB: number;
}

/** CPU milliseconds (user + system) of one call. */
function cpuMs(fn: () => unknown): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Growth of the heap and of ArrayBuffer memory across one decode whose result is still held. V8
 * frees ArrayBuffer backing stores off the main thread, so the baseline is taken after a pause.
 */
async function memoryDelta(
  decode: Decoder,
  bytes: Uint8Array,
): Promise<{ heap: number; arrayBuffers: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/jpeg-decode.ts');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const before = process.memoryUsage();
  const result = decode(bytes);
  const after = process.memoryUsage();
  if (result === undefined) throw new Error('no result');
  return {
    heap: (after.heapUsed - before.heapUsed) / 2 ** 20,
    arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / 2 ** 20,
  };
}

async function minifiedBytes(contents: string): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents.length;
}

async function jsquashDecoder(): Promise<
  { decode: (bytes: Uint8Array) => Promise<unknown> } | undefined
> {
  if (!existsSync(join(JSQUASH_DIR, 'decode.js'))) return undefined;
  const module = (await import(join(JSQUASH_DIR, 'decode.js'))) as {
    init: (m: WebAssembly.Module) => Promise<void>;
    default: (b: ArrayBuffer) => Promise<unknown>;
  };
  await module.init(
    await WebAssembly.compile(readFileSync(join(JSQUASH_DIR, 'codec/dec/mozjpeg_dec.wasm'))),
  );
  return { decode: (bytes) => module.default(bytes.slice().buffer) };
}

async function main(): Promise<void> {
  const ours: Decoder = (bytes) => decodeJpeg(bytes, readJpegHeader(bytes), DECODE_LONG_SIDE);
  const jpegJs: Decoder = (bytes) =>
    jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: 30,
      maxMemoryUsageInMB: 2048,
    });
  const jsquash = await jsquashDecoder();
  const figures: Figure[] = [];
  for (const [size, width, height, runs] of SIZES) {
    const raw = sharp(photoScene(width, height), { raw: { width, height, channels: 3 } });
    for (const mode of ['baseline', 'progressive'] as const) {
      const bytes = new Uint8Array(
        await raw
          .clone()
          .jpeg({ quality: 90, chromaSubsampling: '4:2:0', progressive: mode === 'progressive' })
          .toBuffer(),
      );
      const decoders: [string, Decoder, number][] = [
        ['ours (luma, 1/d)', ours, runs],
        ['jpeg-js (RGBA)', jpegJs, Math.min(runs, 3)],
      ];
      for (const [name, decode, n] of decoders) {
        decode(bytes); // warm-up: compile before measuring
        const times = Array.from({ length: n }, () => cpuMs(() => decode(bytes)));
        const memory = await memoryDelta(decode, bytes);
        figures.push({
          size,
          mode,
          fileBytes: bytes.length,
          decoder: name,
          cpuMs: round(median(times)),
          runs: n,
          heapDeltaMiB: round(memory.heap),
          arrayBuffersDeltaMiB: round(memory.arrayBuffers),
        });
      }
      if (jsquash) {
        await jsquash.decode(bytes);
        const times: number[] = [];
        for (let i = 0; i < Math.min(runs, 5); i++) {
          const start = process.cpuUsage();
          await jsquash.decode(bytes);
          const used = process.cpuUsage(start);
          times.push((used.user + used.system) / 1000);
        }
        figures.push({
          size,
          mode,
          fileBytes: bytes.length,
          decoder: '@jsquash/jpeg (RGBA, wasm)',
          cpuMs: round(median(times)),
          runs: times.length,
          heapDeltaMiB: NaN,
          arrayBuffersDeltaMiB: NaN,
        });
      }
      console.error(`${size} ${mode}: done`);
    }
  }
  const bundles: Record<string, number> = {
    'ours (luma, 1/d)': await minifiedBytes(
      `export { decodeJpeg } from './worker/image/jpeg/decode.ts'; export { readJpegHeader } from './worker/image/jpeg/header.ts';`,
    ),
    'jpeg-js (RGBA)': await minifiedBytes(`export { default } from 'jpeg-js/lib/decoder.js';`),
  };
  if (jsquash) {
    bundles['@jsquash/jpeg (RGBA, wasm)'] =
      (await minifiedBytes(`export { default } from '${join(JSQUASH_DIR, 'decode.js')}';`)) +
      readFileSync(join(JSQUASH_DIR, 'codec/dec/mozjpeg_dec.wasm')).length;
  }
  mkdirSync('bench-results', { recursive: true });
  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    longSide: DECODE_LONG_SIDE,
    figures,
    bundleBytes: bundles,
  };
  writeFileSync('bench-results/jpeg-decode.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    '| size | mode | file | decoder | CPU ms (median) | runs | heap Δ MiB | ArrayBuffers Δ MiB |',
  );
  console.log('|---|---|---:|---|---:|---:|---:|---:|');
  for (const f of figures) {
    console.log(
      `| ${f.size} | ${f.mode} | ${round(f.fileBytes / 2 ** 20)} MiB | ${f.decoder} | ${f.cpuMs} | ${f.runs} | ${f.heapDeltaMiB} | ${f.arrayBuffersDeltaMiB} |`,
    );
  }
  console.log('\n| decoder | minified bundle bytes |\n|---|---:|');
  for (const [name, bytes] of Object.entries(bundles)) console.log(`| ${name} | ${bytes} |`);
}

await main();
