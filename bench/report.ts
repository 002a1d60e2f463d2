/**
 * Renders results as BENCHMARKS.md and as a console summary. The prose that explains a figure is
 * computed from the same run, so the file never states a number the run did not measure.
 */
import type { Results } from './results.ts';
import { defaultBuildGzipKiB } from './bundle.ts';
import { imagesBindingSection, imagesSection } from './report-images.ts';

/** Compute variants that are other bundled models (bench/variants.ts names them so). */
const OTHER_MODEL = /^model /;

function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  // toLocaleString keeps at most 3 decimals: tiny differences need exponent notation.
  if (value !== 0 && Math.abs(value) < 0.01) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toLocaleString('en-US');
}
const kib = (bytes: number): string => `${fmt(bytes / 1024)} KiB`;

function table(header: string[], rows: (string | number)[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- |').join('')}`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

function targetsSection(r: Results): string[] {
  return [
    '## Targets',
    '',
    ...table(
      ['target', 'limit', 'measured', 'met', 'gap'],
      r.targets.map((t) => [
        t.name,
        t.target,
        `${fmt(t.measured)} ${t.unit}`,
        Number.isNaN(t.measured) ? 'not run' : t.met ? 'yes' : 'no',
        t.gap,
      ]),
    ),
    '',
  ];
}

function computeSection(r: Results): string[] {
  if (!r.compute) return [];
  const project = (batch: number) =>
    r.compute!.find((f) => f.batch === batch && f.variant.startsWith('project'));
  const floor = (batch: number) =>
    r.compute!.find((f) => f.batch === batch && f.variant.startsWith('floor'));
  const share = (batch: number): string =>
    `${fmt((100 * (floor(batch)?.medianUs ?? NaN)) / (project(batch)?.medianUs ?? NaN), 2)}%`;
  return [
    '## Compute per inference, inside workerd',
    '',
    "Each variant predicts in a loop of at least 30 ms inside one request (workerd's clock has 1 ms steps and only runs",
    'within a request); rounds alternate the variants, rotating their order. Median, lowest and highest round in',
    "microseconds per image; ratio = median / the project's median at the same batch size; max |diff| = largest",
    "probability difference from the project's output.",
    '',
    ...table(
      ['variant', 'batch', 'median us/image', 'range', 'ratio', 'rounds', 'max abs diff'],
      r.compute.map((f) => [
        f.variant,
        f.batch,
        fmt(f.medianUs),
        `${fmt(f.minUs)}-${fmt(f.maxUs)}`,
        fmt(f.ratio),
        f.rounds,
        f.variant.startsWith('floor') || OTHER_MODEL.test(f.variant) ? '-' : fmt(f.maxAbsDiff, 2),
      ]),
    ),
    '',
    `The "floor" row is the floor under the project's path: the first layer alone (XNNPACK's fused matMul+bias+relu,`,
    `~99% of the multiply-adds), called the same direct way (pixel write and read-out included). It is ${share(1)} of the`,
    `project's time at batch 1 and ${share(64)} at batch 64: what remains above it is the second layer and softmax. The`,
    `"tfjs kernel functions" row runs the same kernels on the same weights through tfjs' kernel functions (shapes marshalled`,
    'by cwrap, an output tensor allocated and registered per kernel, input upload and frees per call): what calling the',
    'exports directly saves.',
    ...(r.compute.some((f) => OTHER_MODEL.test(f.variant))
      ? [
          '',
          'Rows "model ..." are the other bundled models (e.g. the CNN), served exactly as requests run them; their ratio is to the default model.',
        ]
      : []),
    '',
  ];
}

function httpSection(r: Results): string[] {
  if (!r.http) return [];
  return [
    '## HTTP: POST /v1/classify on loopback',
    '',
    'autocannon against Miniflare (not `wrangler dev`), the real bundle and the no-op Worker (bench/noop-worker.ts:',
    'reads the body, answers a small JSON) alternating per round. Latencies are of every 2xx response, in ms.',
    "CPU is the workerd process's user + system time per response (Miniflare's own entry worker included, as",
    "in the no-op's): on a shared machine it moves far less than req/s.",
    '',
    ...table(
      [
        'payload',
        'connections',
        'worker',
        'req/s',
        'p50 ms',
        'p99 ms',
        'vs no-op',
        'CPU us/req',
        'rounds',
        'failed',
      ],
      r.http.map((f) => [
        f.payload,
        f.connections,
        f.worker,
        fmt(f.rps, 4),
        fmt(f.p50Ms),
        fmt(f.p99Ms),
        fmt(f.rpsRatio),
        fmt(f.cpuUsPerRequest),
        f.rounds,
        f.failures,
      ]),
    ),
    '',
  ];
}

function coldSection(r: Results): string[] {
  const lines = ['## Cold start', ''];
  if (r.firstRequest) {
    lines.push(
      "First and second POST /v1/classify (raw body) to a fresh Miniflare each sample, alternating; client-side ms, and the CPU the workerd process ran for each request (its threads' schedstat, which waiting for a core on a loaded machine does not inflate); startup CPU is what the process ran from its launch until it served (workerd's boot, compiling the bundle, its global scope).",
      '',
      ...table(
        [
          'worker',
          'first request ms',
          'second request ms',
          'first beyond no-op ms',
          'second beyond no-op ms',
          'first CPU ms',
          'second CPU ms',
          'first CPU beyond no-op ms',
          'second CPU beyond no-op ms',
          'startup CPU ms',
          'startup CPU beyond no-op ms',
          'samples',
        ],
        r.firstRequest.map((f) => [
          f.worker,
          fmt(f.firstMs),
          fmt(f.secondMs),
          fmt(f.beyondNoopMs),
          fmt(f.secondBeyondNoopMs),
          fmt(f.firstCpuMs),
          fmt(f.secondCpuMs),
          fmt(f.cpuBeyondNoopMs),
          fmt(f.secondCpuBeyondNoopMs),
          fmt(f.startupCpuMs),
          fmt(f.startupCpuBeyondNoopMs),
          f.samples,
        ]),
      ),
      '',
    );
  }
  if (r.phases) {
    lines.push(
      "What the Worker does at startup (the same steps timed inside a fresh isolate's first request to the compute Worker, which does not start them itself; medians, ms):",
      '',
      ...table(
        ['step', 'ms'],
        Object.entries(r.phases).map(([phase, ms]) => [phase.replace(/Ms$/, ''), fmt(ms)]),
      ),
      '',
    );
  }
  if (r.startup) {
    lines.push(
      '`wrangler check startup` (global scope: parsing and evaluating the bundle), sampled CPU ms:',
      '',
      ...table(
        ['worker', 'startup CPU ms', 'runs', 'most samples (last run)'],
        r.startup.map((f) => [
          f.worker,
          fmt(f.cpuMs),
          f.runs,
          f.top.map((t) => `${t.name}: ${fmt(t.ms)}`).join('; ') || '-',
        ]),
      ),
      '',
      'The profiler samples about once per millisecond, so these are coarse; a no-op shows ~0.',
      '',
    );
  }
  return lines;
}

function bundleSection(r: Results): string[] {
  if (!r.bundle) return [];
  const b = r.bundle;
  const fixed = b.modules
    .filter((m) => /\.(wasm|bin)$/.test(m.name))
    .reduce((sum, m) => sum + m.gzipBytes, 0);
  return [
    '## Bundle: `wrangler deploy --dry-run --minify`',
    '',
    `wrangler reports ${fmt(b.totalKiB, 4)} KiB, gzip ${fmt(b.gzipKiB, 4)} KiB. Per module (gzip -9):`,
    '',
    ...table(
      ['module', 'raw', 'gzip'],
      b.modules.map((m) => [m.name, kib(m.bytes), kib(m.gzipBytes)]),
    ),
    '',
    `The tfjs SIMD binary and the int8 models alone are ${kib(fixed)} gzip: what any script has to fit beside.`,
    `Without the optionally built models (the default build, which the 250 KiB target is for): ${fmt(defaultBuildGzipKiB(b), 4)} KiB gzip.`,
    'The minified script by package (bytes in the output, before gzip):',
    '',
    ...table(
      ['package', 'bytes'],
      b.scriptByPackage.map((p) => [p.name, p.bytes.toLocaleString('en-US')]),
    ),
    '',
  ];
}

function trainingSection(r: Results): string[] {
  if (!r.training) return [];
  const { backends, servedModel: card } = r.training;
  return [
    '## Training',
    '',
    `One-epoch builds (\`train/cli.ts --epochs 1 --force\`, CLI defaults otherwise), alternating backends. The bar is`,
    `${fmt(100 * 0.885)}% accuracy (test/model.test.ts' floor), applied per epoch to validation accuracy; the served`,
    `model (${card.backend}, batch ${card.batchSize}) first reached it in epoch ${card.epochsToBar}, after ${fmt(card.secondsToBar)} s of`,
    `training (${fmt(card.totalSeconds)} s for all ${card.epochs} epochs; test accuracy ${fmt(100 * card.testFloatAccuracy, 4)}%).`,
    '',
    ...table(
      [
        'backend',
        'median s/epoch',
        'epochs measured',
        'one-epoch build, wall s',
        'est. s to bar',
        'note',
      ],
      backends.map((t) => [
        t.backend,
        fmt(t.medianEpochSeconds),
        t.epochSeconds.length,
        fmt(t.medianProcessSeconds),
        fmt(t.estimatedSecondsToBar),
        t.note ?? '',
      ]),
    ),
    '',
    'Estimated seconds to the bar = epochs the served model needed x median seconds per epoch.',
    '',
  ];
}

function machineSection(r: Results): string[] {
  const m = r.machine;
  const loaded = Math.max(m.loadAverageStart, m.loadAverageEnd ?? 0) > m.cores;
  return [
    '## Machine',
    '',
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ${Object.entries(m.packages)
      .map(([name, v]) => `${name} ${v}`)
      .join(', ')}.`,
    `1-minute load average ${m.loadAverageStart} at the start and ${m.loadAverageEnd ?? 'n/a'} at the end of the run` +
      (loaded
        ? ': the machine was shared and loaded, so absolute figures are inflated and noisy; the ratios between variants measured in the same rounds are the robust figures.'
        : '.'),
    `Run took ${fmt(r.elapsedSeconds)} s of a ${r.budgetSeconds} s budget. ` +
      Object.entries(r.parts)
        .map(
          ([part, p]) =>
            `${part} ${fmt(p.seconds)} s${p.error ? ` (failed: ${p.error.split('\n')[0]})` : ''}`,
        )
        .join(', ') +
      '.',
    '',
  ];
}

/** The measured part of BENCHMARKS.md; `notes` (hand-written analysis) is appended verbatim. */
export function renderMarkdown(r: Results, notes: string): string {
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${r.generatedAt.slice(0, 10)}; every figure below comes from that one run.`,
    '',
    '## How to rerun',
    '',
    '```sh',
    'npm ci                       # autocannon is a pinned dev dependency: no apt step',
    'npm run build:model          # once: the Worker bundles models/fashion-mnist-mlp.bin',
    'npm run bench                # ~10 min on 2 cores: prints a table, writes bench-results/results.json and this file',
    'npm run bench -- --only compute,bundle --budget 120   # some parts: bundle, compute, cold-start, http, images, images-binding, training',
    '```',
    '',
    ...targetsSection(r),
    ...machineSection(r),
    ...computeSection(r),
    ...httpSection(r),
    ...imagesSection(r.images),
    ...imagesBindingSection(r.imagesBinding),
    ...coldSection(r),
    ...bundleSection(r),
    ...trainingSection(r),
    notes.trim(),
    '',
  ].join('\n');
}

/** A short console summary: the targets and each part's status. */
export function printSummary(r: Results): void {
  console.table(
    r.targets.map((t) => ({
      target: t.name,
      limit: t.target,
      measured: `${fmt(t.measured)} ${t.unit}`,
      met: t.met,
      gap: t.gap,
    })),
  );
  if (r.compute)
    console.table(
      r.compute.map((f) => ({
        variant: f.variant,
        batch: f.batch,
        'us/image': f.medianUs,
        ratio: f.ratio,
      })),
    );
  if (r.http)
    console.table(
      r.http.map((f) => ({
        payload: f.payload,
        conns: f.connections,
        worker: f.worker,
        rps: f.rps,
        p50: f.p50Ms,
        p99: f.p99Ms,
        'vs no-op': f.rpsRatio,
        'CPU us': f.cpuUsPerRequest,
      })),
    );
}
