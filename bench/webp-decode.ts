/**
 * WebP decoding in workerd: CPU per decode, wasm memory and gzip bundle bytes, for the project's
 * decoder (worker/image/webp: its own VP8 luma decoder for large lossy files, libwebp from
 * @jsquash/webp for the rest) and the other npm candidates.
 *
 *   npx tsx bench/webp-decode.ts                      # the project's decoder and @jsquash/webp
 *   WEBP_CANDIDATES_DIR=/tmp/webp-try npx tsx bench/webp-decode.ts
 *     # also @cwasm/webp 0.1.5 and @cf-wasm/photon 0.4.0, installed there by `npm i` (not project deps)
 *
 * CPU is the workerd processes' user + system time (/proc) over a request of several decodes,
 * divided by the decodes: on a shared machine it moves far less than wall time. Writes
 * bench-results/webp-decode.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { encodeWebp, garmentPhoto } from '../harness/image/webp-fixtures.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { startWorker } from '../harness/worker/start-worker.ts';
import { currentLoad, machineInfo } from './machine.ts';
import { withCpuMeter } from './process-cpu.ts';
import { median, round } from './stats.ts';

const ROUNDS = 5;
const SIZES: [number, number][] = [
  [512, 512],
  [2048, 1536],
];
/** Lossless at the decoder's pixel cap (WEBP_MAX_PIXELS): libwebp's memory at its worst. */
const CAP_SIZE: [number, number] = [2048, 2048];
/** Noise that puts a lossy q80 file near 1.3 bits per pixel, as a phone photo's is. */
const PHOTO_NOISE = 24;

interface Sample {
  name: string;
  width: number;
  height: number;
  bytes: Uint8Array;
}

async function samples(): Promise<Sample[]> {
  const list: Sample[] = [];
  for (const [width, height] of SIZES) {
    const rgba = garmentPhoto(1, width, height, { noise: PHOTO_NOISE });
    list.push({
      name: `lossy q80 ${width}x${height}`,
      width,
      height,
      bytes: await encodeWebp(rgba, width, height, { quality: 80 }),
    });
    list.push({
      name: `lossless ${width}x${height}`,
      width,
      height,
      bytes: await encodeWebp(rgba, width, height, { lossless: true }),
    });
  }
  const [width, height] = CAP_SIZE;
  const rgba = garmentPhoto(1, width, height, { noise: PHOTO_NOISE });
  list.push({
    name: `lossless ${width}x${height}`,
    width,
    height,
    bytes: await encodeWebp(rgba, width, height, { lossless: true }),
  });
  return list;
}

/** One decoder as the candidates worker runs it: how to load it, and which files it bundles. */
interface Candidate {
  name: string;
  /** Module source: `export function load(): { decode(bytes): { width, height }, memory(): number }`. */
  source: (modules: string) => string;
  /** Package root holding it. */
  modules: string;
}

const CANDIDATES: Candidate[] = [
  {
    name: '@jsquash/webp 1.5.0 (libwebp 1.0.2, Emscripten)',
    modules: join(PROJECT_ROOT, 'node_modules'),
    source: (m) => `import factory from '${m}/@jsquash/webp/codec/dec/webp_dec.js';
import wasm from '${m}/@jsquash/webp/codec/dec/webp_dec.wasm';
export function load() {
  const module = { noInitialRun: true, instantiateWasm(imports, ready) { const i = new WebAssembly.Instance(wasm, imports); ready(i); return i.exports; } };
  factory(module);
  return { decode: (bytes) => module.decode(bytes), memory: () => module.HEAPU8.buffer.byteLength };
}`,
  },
  {
    name: '@cwasm/webp 0.1.5 (libwebp 1.0.2, clang -Oz)',
    modules: process.env.WEBP_CANDIDATES_DIR
      ? join(process.env.WEBP_CANDIDATES_DIR, 'node_modules')
      : '',
    source: (m) => `import wasm from '${m}/@cwasm/webp/webp.wasm';
export function load() {
  const e = new WebAssembly.Instance(wasm, { wasi_snapshot_preview1: { fd_close() {}, fd_seek() {}, fd_write() {} } }).exports;
  return {
    decode(bytes) {
      const input = e.malloc(bytes.length);
      new Uint8Array(e.memory.buffer, input, bytes.length).set(bytes);
      const size = e.malloc(8);
      const output = e.WebPDecodeRGBA(input, bytes.length, size, size + 4);
      const [width, height] = new Uint32Array(e.memory.buffer, size, 2);
      e.free(input); e.free(size);
      if (!output) return null;
      const data = new Uint8Array(e.memory.buffer, output, width * height * 4).slice();
      e.free(output);
      return { width, height, data };
    },
    memory: () => e.memory.buffer.byteLength,
  };
}`,
  },
  {
    name: '@cf-wasm/photon 0.4.0 (Rust image-webp, wasm-bindgen)',
    modules: process.env.WEBP_CANDIDATES_DIR
      ? join(process.env.WEBP_CANDIDATES_DIR, 'node_modules')
      : '',
    source: (m) => `import { PhotonImage } from '${m}/@cf-wasm/photon/dist/workerd.js';
import wasm from '${m}/@cf-wasm/photon/dist/lib/photon_rs_bg.wasm';
export function load() {
  return {
    decode(bytes) { const image = PhotonImage.new_from_byteslice(bytes); const r = { width: image.get_width(), height: image.get_height(), data: image.get_raw_pixels() }; image.free(); return r; },
    memory: () => 0, // wasm-bindgen keeps its memory private; see the process figures instead
  };
}
export const unused = wasm;`,
  },
];

/** The generated worker: POST /?candidate=i&runs=n decodes the body n times. */
const WORKER = (
  count: number,
) => `${Array.from({ length: count }, (_, i) => `import { load as load${i} } from './candidate-${i}.js';`).join('\n')}
const loaders = [${Array.from({ length: count }, (_, i) => `load${i}`).join(', ')}];
const loaded = new Map();
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const index = Number(url.searchParams.get('candidate'));
    const runs = Number(url.searchParams.get('runs'));
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (!loaded.has(index)) loaded.set(index, loaders[index]());
    const decoder = loaded.get(index);
    let image;
    for (let i = 0; i < runs; i++) image = decoder.decode(bytes);
    if (!image) return new Response('decode failed', { status: 400 });
    return Response.json({ width: image.width, height: image.height, memory: decoder.memory() });
  },
};
`;

/** gzip -9 bytes of the minified code a candidate bundles, and of its .wasm files. */
async function bundleBytes(entry: string): Promise<{ jsGzip: number; wasmGzip: number }> {
  const wasmFiles: string[] = [];
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // .wasm stays out of the script, as wrangler uploads it as a module of its own.
    plugins: [
      {
        name: 'wasm',
        setup: (b) =>
          b.onResolve(
            { filter: /\.wasm$/ },
            (args) => (
              wasmFiles.push(createRequire(join(args.resolveDir, 'x.js')).resolve(args.path)),
              { path: args.path, external: true }
            ),
          ),
      },
    ],
  });
  const gzip = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length;
  const wasm = await Promise.all(
    [...new Set(wasmFiles)].map(async (file) => gzip(await readFile(file))),
  );
  return {
    jsGzip: gzip(result.outputFiles[0]!.contents),
    wasmGzip: wasm.reduce((a, b) => a + b, 0),
  };
}

interface Figure {
  decoder: string;
  image: string;
  fileBytes: number;
  /** Median over rounds of workerd CPU milliseconds per decode. */
  cpuMsPerDecode: number;
  cpuMsPerDecodeRange: [number, number];
  /** The decoder's wasm memory after decoding this and every smaller image, MiB (0: not visible). */
  wasmMemoryMiB?: number;
}

/** Rounds of `runs` decodes of each sample, through `post`, metered by workerd CPU. */
async function measure(
  decoder: string,
  list: Sample[],
  cpuSeconds: () => number | undefined,
  post: (bytes: Uint8Array, runs: number) => Promise<{ memory?: number }>,
): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const sample of list) {
    const runs = sample.width * sample.height > 1e6 ? 4 : 20;
    await post(sample.bytes, 1); // warm up: instantiation, tier-up
    const perDecode: number[] = [];
    let memory: number | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const before = cpuSeconds();
      memory = (await post(sample.bytes, runs)).memory;
      const after = cpuSeconds();
      if (before === undefined || after === undefined)
        throw new Error('workerd CPU time is not readable here (/proc)');
      perDecode.push(((after - before) * 1000) / runs);
    }
    figures.push({
      decoder,
      image: sample.name,
      fileBytes: sample.bytes.length,
      cpuMsPerDecode: round(median(perDecode)),
      cpuMsPerDecodeRange: [round(Math.min(...perDecode)), round(Math.max(...perDecode))],
      ...(memory ? { wasmMemoryMiB: round(memory / 2 ** 20) } : {}),
    });
    console.log(
      `${decoder} | ${sample.name}: ${round(median(perDecode))} ms CPU per decode${memory ? `, wasm memory ${round(memory / 2 ** 20)} MiB` : ''}`,
    );
  }
  return figures;
}

async function projectDecoder(list: Sample[]): Promise<Figure[]> {
  const { value: worker, cpuSeconds } = await withCpuMeter(() =>
    startWorker({ entry: 'harness/worker/fixtures/webp-worker.ts' }),
  );
  try {
    return await measure(
      'project: worker/image/webp (header + decode to luma at 256)',
      list,
      cpuSeconds,
      async (bytes, runs) => {
        const response = await worker.fetch(`/decode?runs=${runs}`, {
          method: 'POST',
          body: Buffer.from(bytes),
        });
        if (!response.ok)
          throw new Error(`decode failed: ${response.status} ${await response.text()}`);
        return {};
      },
    );
  } finally {
    await worker.dispose();
  }
}

async function candidates(
  list: Sample[],
): Promise<{ figures: Figure[]; bundles: Record<string, { jsGzip: number; wasmGzip: number }> }> {
  const present = CANDIDATES.filter((c) => c.modules);
  const dir = join(PROJECT_ROOT, '.cache', 'webp-bench');
  await mkdir(dir, { recursive: true });
  const bundles: Record<string, { jsGzip: number; wasmGzip: number }> = {};
  for (const [i, candidate] of present.entries()) {
    await writeFile(join(dir, `candidate-${i}.js`), candidate.source(candidate.modules));
    bundles[candidate.name] = await bundleBytes(join(dir, `candidate-${i}.js`));
  }
  await writeFile(join(dir, 'worker.js'), WORKER(present.length));
  const { value: worker, cpuSeconds } = await withCpuMeter(() =>
    startWorker({ entry: '.cache/webp-bench/worker.js' }),
  );
  const figures: Figure[] = [];
  try {
    for (const [i, candidate] of present.entries()) {
      figures.push(
        ...(await measure(candidate.name, list, cpuSeconds, async (bytes, runs) => {
          const response = await worker.fetch(`/?candidate=${i}&runs=${runs}`, {
            method: 'POST',
            body: Buffer.from(bytes),
          });
          if (!response.ok)
            throw new Error(
              `${candidate.name} failed: ${response.status} ${await response.text()}`,
            );
          return (await response.json()) as { memory: number };
        })),
      );
    }
  } finally {
    await worker.dispose();
  }
  return { figures, bundles };
}

const list = await samples();
const loadBefore = currentLoad();
const project = await projectDecoder(list);
const compared = await candidates(list);
const projectBundle = await bundleBytes(join(PROJECT_ROOT, 'worker/image/webp/decode.ts'));
const results = {
  generatedAt: new Date().toISOString(),
  machine: machineInfo(),
  loadAverage: { before: loadBefore, after: currentLoad() },
  method: `workerd CPU (/proc user+system of the workerd processes) per decode, median of ${ROUNDS} rounds; images: a garment photo with noise ${PHOTO_NOISE}, encoded by sharp 0.34.5`,
  target: '2048x1536 WebP decoded in <= 10 ms of workerd CPU',
  project,
  projectBundleGzipBytes: projectBundle,
  candidates: compared.figures,
  candidateBundleGzipBytes: compared.bundles,
};
await mkdir(join(PROJECT_ROOT, 'bench-results'), { recursive: true });
await writeFile(
  join(PROJECT_ROOT, 'bench-results', 'webp-decode.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log(
  `bundle (gzip): project decoder ${projectBundle.jsGzip} B JS + ${projectBundle.wasmGzip} B wasm`,
);
for (const [name, bytes] of Object.entries(compared.bundles))
  console.log(`bundle (gzip): ${name} ${bytes.jsGzip} B JS + ${bytes.wasmGzip} B wasm`);
