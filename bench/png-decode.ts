/**
 * PNG decoding cost: the streaming decoder (worker/image/png/, header walk + decode to a long side
 * of DECODE_LONG_SIDE) against fast-png's full decode, on ordinary images and on crafted hostile
 * ones. Each case runs in a child process of its own, so that its peak memory (maxRSS growth over
 * the input built) is its own. CPU is process user + system time per decode, median of the runs.
 * Usage: npx tsx bench/png-decode.ts  (prints a markdown table, writes bench-results/png-decode.json)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateSync, gunzipSync } from 'node:zlib';
import { decode as fastPngDecode, encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import {
  chunk,
  concat,
  concatAll,
  encode,
  ihdr,
  rawImage,
  SIGNATURE,
} from '../harness/image/png-fixtures.ts';
import { Problem } from '../worker/http/problem.ts';
import { DECODE_LONG_SIDE } from '../worker/image/gray.ts';
import { Adler32 } from '../worker/image/png/adler32.ts';
import { crc32 } from '../worker/image/png/crc32.ts';
import { decodePng } from '../worker/image/png/decode.ts';
import { readPngHeader } from '../worker/image/png/header.ts';
import { median, round } from './stats.ts';

/** A photo-like picture (smooth shapes and 20% noise) encoded by sharp (libpng, adaptive filters). */
async function photo(width: number, height: number, sixteenBitRgba = false): Promise<Uint8Array> {
  const rgb = Buffer.from(rawImage(width, height, 'rgb', 8, width).samples);
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
  return new Uint8Array(
    await (sixteenBitRgba ? image.ensureAlpha(0.8).toColourspace('rgb16') : image).png().toBuffer(),
  );
}

/** Re-cuts the image data of `png` (libpng writes 8 KB IDAT chunks) into `count` IDAT chunks. */
function splitIdat(png: Uint8Array, count: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const start = readPngHeader(png).dataOffset;
  const payloads: Uint8Array[] = [];
  let end = start;
  for (; view.getUint32(end + 4) === 0x49444154; end += 12 + view.getUint32(end))
    payloads.push(png.subarray(end + 8, end + 8 + view.getUint32(end)));
  const data = concatAll(payloads);
  const size = Math.ceil(data.length / count);
  const pieces = Array.from({ length: Math.ceil(data.length / size) }, (_, k) =>
    chunk('IDAT', data.subarray(k * size, (k + 1) * size)),
  );
  return concatAll([png.subarray(0, start), ...pieces, png.subarray(end)]);
}

/** An 8-bit image of zeros, every row with filter type `filter`: the most compressible image data there is. */
function flat(
  width: number,
  height: number,
  filter: number,
  color: 'gray' | 'rgb' = 'gray',
): Uint8Array {
  const rowBytes = width * (color === 'rgb' ? 3 : 1);
  const data = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) data[y * (rowBytes + 1)] = filter;
  return concat(
    SIGNATURE,
    ihdr(width, height, color, 8),
    chunk('IDAT', deflateSync(data, { level: 9 })),
    chunk('IEND'),
  );
}

const fashion = () => {
  const idx = gunzipSync(
    readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'),
  );
  return fastPngEncode({
    width: 28,
    height: 28,
    data: idx.subarray(16, 16 + 784),
    channels: 1,
    depth: 8,
  });
};

const CASES: Record<string, () => Uint8Array | Promise<Uint8Array>> = {
  'Fashion-MNIST 28x28 gray': fashion,
  '512x512 RGB': () => photo(512, 512),
  '512x512 RGBA 16-bit': () => photo(512, 512, true),
  '1280x960 RGB (4.9 M work, under the cap)': () => photo(1280, 960),
  '2048x1536 RGB': () => photo(2048, 1536),
  'flat 1440x1440 gray (2 MB from 2 KB, under the ratio-free work)': () => flat(1440, 1440, 0),
  'flat 1000x1000 RGB, Paeth rows (4 M work, the ratio-free most)': () =>
    flat(1000, 1000, 4, 'rgb'),
  'flat 4096x4096 gray (16.8 MB from 16 KB)': () => flat(4096, 4096, 0),
  'iCCP zlib bomb (512 MB) in a 512x512 RGB': async () => {
    const png = await photo(512, 512);
    const profile = concat(
      new TextEncoder().encode('bomb\0\0'),
      deflateSync(new Uint8Array(512 << 20), { level: 9 }),
    );
    return concat(png.subarray(0, 33), chunk('iCCP', profile), png.subarray(33));
  },
  'second IHDR (28x28, then 20000x20000 RGBA 16-bit)': () => {
    const png = fashion();
    return concat(png.subarray(0, 33), ihdr(20000, 20000, 'rgba', 16), png.subarray(33));
  },
  '512x512 RGB in 262,000 IDAT chunks': async () => splitIdat(await photo(512, 512), 262_000),
  '512x512 RGB in 16,000 IDAT chunks': async () => splitIdat(await photo(512, 512), 16_000),
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
      outcome =
        error instanceof Problem
          ? `${error.status}: ${error.detail}`
          : `error: ${String(error).slice(0, 90)}`;
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
  console.log(
    JSON.stringify({
      bytes: bytes.length,
      cpuMs: round(samples.length ? median(samples) : firstMs),
      peakMB: round(peakMB),
      outcome,
    }),
  );
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};

/** Throughput of the two checksums over 4 MiB of data: MB per CPU second, median of 9. */
function checksumRates(): Record<string, number> {
  const data = Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 2654435761) >>> 24);
  const rate = (run: () => void) => {
    const samples = Array.from({ length: 9 }, () => {
      const start = process.cpuUsage();
      run();
      return data.length / 1e6 / (cpuMs(start) / 1000);
    });
    return round(median(samples));
  };
  return {
    crc32MBps: rate(() => crc32(data, 0, data.length)),
    adler32MBps: rate(() => new Adler32().update(data)),
  };
}

/** Parent: every case with both decoders, each in a child process. */
function main(): void {
  const checksums = checksumRates();
  console.log(
    `CRC-32: ${checksums.crc32MBps} MB/s, Adler-32: ${checksums.adler32MBps} MB/s (CPU time)`,
  );
  const results = [];
  for (const caseName of Object.keys(CASES)) {
    const row: Record<string, unknown> = { case: caseName };
    for (const decoderName of Object.keys(DECODERS)) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', import.meta.filename, caseName, decoderName],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      row[decoderName] = JSON.parse(out.trim().split('\n').at(-1)!);
    }
    results.push(row);
    console.error(`[png-decode] ${caseName} done`);
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/png-decode.json',
    JSON.stringify(
      { date: new Date().toISOString(), longSide: DECODE_LONG_SIDE, checksums, results },
      null,
      2,
    ),
  );
  const cell = (r: { cpuMs: number; peakMB: number; outcome: string }) =>
    `${r.cpuMs} ms, +${r.peakMB} MB, ${r.outcome.slice(0, 60)}`;
  console.log(
    '| case | file bytes | streaming: CPU median, peak RSS growth, outcome | fast-png: same |\n|---|---|---|---|',
  );
  for (const r of results as {
    case: string;
    streaming: { bytes: number } & Parameters<typeof cell>[0];
    'fast-png': Parameters<typeof cell>[0];
  }[]) {
    console.log(
      `| ${r.case} | ${r.streaming.bytes} | ${cell(r.streaming)} | ${cell(r['fast-png'])} |`,
    );
  }
}

if (process.argv.length > 3) await measure(process.argv[2]!, process.argv[3]!);
else main();
