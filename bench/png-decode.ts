/**
 * PNG decoding cost: the streaming decoder (worker/image/png/, header walk + decode to a 256 long
 * side) against fast-png's full decode, on ordinary images and on crafted hostile ones. Each case
 * runs in a child process of its own, so that its peak memory (maxRSS growth over the input built)
 * is its own. CPU is process user + system time per decode, median of the runs.
 * Usage: npx tsx bench/png-decode.ts  (prints a markdown table, writes bench-results/png-decode.json)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateSync, gunzipSync } from 'node:zlib';
import { decode as fastPngDecode, encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import { chunk, concat, encode, ihdr, rawImage, SIGNATURE } from '../test/image/png-fixtures.ts';
import { Problem } from '../worker/http/problem.ts';
import { DECODE_LONG_SIDE } from '../worker/image/gray.ts';
import { decodePng } from '../worker/image/png/decode.ts';
import { readPngHeader } from '../worker/image/png/header.ts';
import { median, round } from './stats.ts';

/** A photo-like picture (smooth shapes and 20% noise) encoded by sharp (libpng, adaptive filters). */
async function photo(width: number, height: number, sixteenBitRgba = false): Promise<Uint8Array> {
  const rgb = Buffer.from(rawImage(width, height, 'rgb', 8, width).samples);
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
  return new Uint8Array(await (sixteenBitRgba ? image.ensureAlpha(0.8).toColourspace('rgb16') : image).png().toBuffer());
}

/** Replaces the single IDAT chunk of `png` with chunks of `size` bytes. */
function splitIdat(png: Uint8Array, size: number): Uint8Array {
  const header = readPngHeader(png);
  const data = png.subarray(header.dataOffset + 8, header.dataOffset + 8 + header.compressedBytes);
  const pieces = Array.from({ length: Math.ceil(data.length / size) }, (_, k) => chunk('IDAT', data.subarray(k * size, (k + 1) * size)));
  return concat(png.subarray(0, header.dataOffset), ...pieces, chunk('IEND'));
}

/** A `width` x `height` 8-bit gray image of zeros: the most compressible image data there is. */
const flat = (width: number, height: number) =>
  concat(SIGNATURE, ihdr(width, height, 'gray', 8), chunk('IDAT', deflateSync(new Uint8Array(height * (width + 1)), { level: 9 })), chunk('IEND'));

const fashion = () => {
  const idx = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
  return fastPngEncode({ width: 28, height: 28, data: idx.subarray(16, 16 + 784), channels: 1, depth: 8 });
};

const CASES: Record<string, () => Uint8Array | Promise<Uint8Array>> = {
  'Fashion-MNIST 28x28 gray': fashion,
  '512x512 RGB': () => photo(512, 512),
  '512x512 RGBA 16-bit': () => photo(512, 512, true),
  '2048x1536 RGB': () => photo(2048, 1536),
  '2800x2800 RGB (23.5 MB inflated, near the cap)': () => photo(2800, 2800),
  'flat 2800x2800 gray (7.8 MB from 8 KB, under the ratio floor)': () => flat(2800, 2800),
  'flat 4096x4096 gray (16.8 MB from 16 KB)': () => flat(4096, 4096),
  'iCCP zlib bomb (512 MB) in a 512x512 RGB': async () => {
    const png = await photo(512, 512);
    const profile = concat(new TextEncoder().encode('bomb\0\0'), deflateSync(new Uint8Array(512 << 20), { level: 9 }));
    return concat(png.subarray(0, 33), chunk('iCCP', profile), png.subarray(33));
  },
  'second IHDR (28x28, then 20000x20000 RGBA 16-bit)': () => {
    const png = fashion();
    return concat(png.subarray(0, 33), ihdr(20000, 20000, 'rgba', 16), png.subarray(33));
  },
  '512x512 RGB in 262,000 IDAT chunks': async () => splitIdat(await photo(512, 512), Math.ceil(readPngHeader(await photo(512, 512)).compressedBytes / 262_000)),
  '512x512 RGB in 16,000 IDAT chunks': async () => splitIdat(await photo(512, 512), Math.ceil(readPngHeader(await photo(512, 512)).compressedBytes / 16_000)),
  'PLTE with 1.4 million entries': () => {
    const image = rawImage(64, 64, 'palette', 8, 1);
    return encode(image, { before: [chunk('PLTE', new Uint8Array(3 * 1_400_000).fill(7))] });
  },
};

const DECODERS: Record<string, (bytes: Uint8Array) => unknown> = {
  streaming: (bytes) => decodePng(bytes, readPngHeader(bytes), DECODE_LONG_SIDE),
  'fast-png': (bytes) => fastPngDecode(bytes, { checkCrc: true }),
};

/** Child: decodes one case with one decoder and prints its figures as JSON. */
async function measure(caseName: string, decoderName: string): Promise<void> {
  const bytes = await CASES[caseName]!();
  const decode = DECODERS[decoderName]!;
  const rssBefore = process.resourceUsage().maxRSS;
  let outcome = 'decoded';
  const once = () => {
    try {
      decode(bytes);
    } catch (error) {
      outcome = error instanceof Problem ? `${error.status}: ${error.detail}` : `error: ${String(error).slice(0, 90)}`;
    }
  };
  const first = process.cpuUsage();
  once();
  const firstMs = cpuMs(first);
  const peakMB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
  // Repeat for a median only where a run is cheap; batch tiny decodes so the clock can see them.
  const batch = firstMs < 0.5 ? 200 : 1;
  const samples: number[] = [];
  for (let run = 0; run < (firstMs > 500 ? 0 : 15); run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) once();
    samples.push(cpuMs(start) / batch);
  }
  console.log(JSON.stringify({ bytes: bytes.length, cpuMs: round(samples.length ? median(samples) : firstMs), peakMB: round(peakMB), outcome }));
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};

/** Parent: every case with both decoders, each in a child process. */
function main(): void {
  const results = [];
  for (const caseName of Object.keys(CASES)) {
    const row: Record<string, unknown> = { case: caseName };
    for (const decoderName of Object.keys(DECODERS)) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, caseName, decoderName], { encoding: 'utf8', maxBuffer: 1 << 20 });
      row[decoderName] = JSON.parse(out.trim().split('\n').at(-1)!);
    }
    results.push(row);
    console.error(`[png-decode] ${caseName} done`);
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/png-decode.json', JSON.stringify({ date: new Date().toISOString(), longSide: DECODE_LONG_SIDE, results }, null, 2));
  const cell = (r: { cpuMs: number; peakMB: number; outcome: string }) => `${r.cpuMs} ms, +${r.peakMB} MB, ${r.outcome.slice(0, 60)}`;
  console.log('| case | file bytes | streaming: CPU median, peak RSS growth, outcome | fast-png: same |\n|---|---|---|---|');
  for (const r of results as { case: string; streaming: { bytes: number } & Parameters<typeof cell>[0]; 'fast-png': Parameters<typeof cell>[0] }[]) {
    console.log(`| ${r.case} | ${r.streaming.bytes} | ${cell(r.streaming)} | ${cell(r['fast-png'])} |`);
  }
}

if (process.argv.length > 3) await measure(process.argv[2]!, process.argv[3]!);
else main();
