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
  bindingFigures: ImageFigure[] | undefined,
  check: (name: string, measured: number | undefined, limit: number, unit: string) => TargetCheck,
): TargetCheck[] {
  const viaBinding = bindingFigures?.find((f) => f.payload === 'WebP 2048x1536')?.cpuMs;
  const bindingTarget = bindingFigures
    ? [
        check(
          '2048x1536 WebP with the Images binding, workerd CPU above the pass-through',
          viaBinding,
          10,
          'ms',
        ),
      ]
    : [];
  if (!figures) return bindingTarget;
  const cpu = (payload: string): number | undefined =>
    figures.find((f) => f.payload === payload)?.cpuMs;
  const raw = cpu('raw 784 B');
  const png = cpu('PNG 28x28');
  return [
    check('512x512 JPEG, workerd CPU above no-op', cpu('JPEG 512x512'), 3, 'ms'),
    check('1024x1024 JPEG, workerd CPU above no-op', cpu('JPEG 1024x1024'), 6, 'ms'),
    check('12 MP JPEG, workerd CPU above no-op', cpu('JPEG 4032x3024 (12 MP)'), 60, 'ms'),
    check(
      "2048x1536 WebP, the Worker's own decoder, workerd CPU above no-op",
      cpu('WebP 2048x1536'),
      10,
      'ms',
    ),
    ...bindingTarget,
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

/** Markdown lines for the figures with the Images binding bound. */
export function imagesBindingSection(figures: ImageFigure[] | undefined): string[] {
  if (!figures) return [];
  return [
    '## Images through the Cloudflare Images binding',
    '',
    'The same measurement with `[images] binding = "IMAGES"`: photos over IMAGES_BINDING_MIN_PIXELS (1 MP) and formats',
    'the Worker cannot decode go to the binding, which returns a PNG scaled to 128 pixels that the Worker decodes.',
    'The classifier is measured against bench/binding-noop-worker.ts, which reads the body and passes it through the',
    "binding the same way, then stops: CPU above it is the Worker's own work on the answer (decoding the small PNG,",
    "preprocessing, inference). The no-op column is that pass-through's workerd CPU above nothing: the binding's round",
    "trip, which locally includes Miniflare's plumbing inside workerd (in production, I/O to Cloudflare Images). sharp",
    "ms is the bench's Node process CPU per pass-through request: Miniflare runs the binding there with sharp, the",
    "work Cloudflare Images does outside the Worker's CPU time in production.",
    '',
    '| payload | bytes | answer | workerd CPU ms above pass-through | range | pass-through ms | sharp ms | requests x rounds |',
    '| --- | ---: | --- | ---: | --- | ---: | ---: | --- |',
    ...figures.map(
      (f) =>
        `| ${f.payload} | ${f.bytes.toLocaleString('en-US')} | ${f.status} ${f.answer.slice(0, 60)} | ${fmt(f.cpuMs)} | ${fmt(f.cpuMsRange[0])}..${fmt(f.cpuMsRange[1])} | ${fmt(f.noopCpuMs)} | ${fmt(f.bindingCpuMs)} | ${f.requestsPerRound} x ${f.rounds} |`,
    ),
    '',
  ];
}
