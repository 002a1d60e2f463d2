/** The image section of BENCHMARKS.md: what photos and crafted files cost the Worker. */
import type { ImageFigure } from './images.ts';
import type { TargetCheck } from './results.ts';

const fmt = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value)
    ? 'n/a'
    : Number(value.toPrecision(3)).toLocaleString('en-US');

/** Checks the photo-ingestion issue's CPU targets against the measured figures. */
export function imageTargets(
  figures: ImageFigure[] | undefined,
  check: (name: string, measured: number | undefined, limit: number, unit: string) => TargetCheck,
): TargetCheck[] {
  if (!figures) return [];
  const cpu = (payload: string): number | undefined =>
    figures.find((f) => f.payload === payload)?.cpuMs;
  const raw = cpu('raw 784 B');
  const png = cpu('PNG 28x28');
  return [
    check('512x512 JPEG, workerd CPU above no-op', cpu('JPEG 512x512'), 3, 'ms'),
    check('1024x1024 JPEG, workerd CPU above no-op', cpu('JPEG 1024x1024'), 6, 'ms'),
    check('12 MP JPEG, workerd CPU above no-op', cpu('JPEG 4032x3024 (12 MP)'), 60, 'ms'),
    check('2048x1536 WebP, workerd CPU above no-op', cpu('WebP 2048x1536'), 10, 'ms'),
    check(
      '28x28 PNG beyond the raw 784-byte body',
      png === undefined || raw === undefined ? undefined : png - raw,
      0.3,
      'ms',
    ),
  ];
}

/** Markdown lines for the image figures. */
export function imagesSection(figures: ImageFigure[] | undefined): string[] {
  if (!figures) return [];
  return [
    '## Images: what a photo costs the Worker',
    '',
    'Sequential POST /v1/classify to Miniflare, the real bundle and the no-op Worker (which reads the same body)',
    "alternating per round; CPU = the classifier's workerd CPU per request minus the no-op's (median of the rounds,",
    'range beside it). Photos are a real test garment on a lit, noisy background (bench/photo-payloads.ts), encoded by',
    'sharp (JPEG q90 4:2:0, WebP q85, PNG RGB). Memory, for the largest accepted photo of each kind (bench/image-memory.ts):',
    "each on a fresh Worker warmed by one 28x28 PNG, after a full GC; isolate MB = growth of the isolate's JS heap used",
    "plus ArrayBuffer backing stores over one request, read through workerd's V8 inspector before any GC, so every byte",
    "the request allocated and still held, garbage included (whether libwebp's wasm memory counts there is not checked:",
    'the RSS column bounds it); RSS MB = peak RSS growth of that fresh workerd process over the request (the',
    'whole process: runtime, sockets and body buffers too). A warm process serves all of this from pages it already holds.',
    '',
    '| payload | bytes | answer | CPU ms above no-op | range | no-op ms | isolate MB | RSS MB | requests x rounds |',
    '| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |',
    ...figures.map(
      (f) =>
        `| ${f.payload} | ${f.bytes.toLocaleString('en-US')} | ${f.status} ${f.answer.slice(0, 60)} | ${fmt(f.cpuMs)} | ${fmt(f.cpuMsRange[0])}..${fmt(f.cpuMsRange[1])} | ${fmt(f.noopCpuMs)} | ${f.isolateMemoryMB === undefined ? '' : fmt(f.isolateMemoryMB)} | ${f.rssPeakMB === undefined ? '' : fmt(f.rssPeakMB)} | ${f.requestsPerRound} x ${f.rounds} |`,
    ),
    '',
  ];
}
