/**
 * What an image costs the Worker: workerd CPU per request of the real bundle above the no-op
 * Worker (bench/noop-worker.ts, which reads the same body), for photos of the sizes people send and
 * for crafted files, and for the largest photos what one request costs the isolate in memory.
 * Requests are sequential, over loopback to Miniflare; rounds alternate the two Workers, each round
 * long enough (>= ~0.5 s of CPU) that /proc's 10 ms clock ticks are a small error.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startWorker, type WorkerUnderTest } from '../harness/worker/start-worker.ts';
import type { Payload } from './payloads.ts';
import { withCpuMeter } from './process-cpu.ts';
import { writePayloads, type MemoryFigure } from './image-memory.ts';
import { median, round } from './stats.ts';

/** One payload: what the classifier answered and what it cost beyond the no-op. */
export interface ImageFigure {
  payload: string;
  bytes: number;
  /** The classifier's status, and its top label or problem detail. */
  status: number;
  answer: string;
  /** Median CPU per request above the no-op's, in ms; the rounds' range beside it. */
  cpuMs: number;
  cpuMsRange: [number, number];
  noopCpuMs: number;
  /**
   * With the Images binding only: the bench's Node process CPU per request while the pass-through
   * no-op is measured. Miniflare runs the binding (sharp) there: the work Cloudflare Images does
   * outside the Worker's CPU time in production (plus the bench's HTTP client, well under 1 ms).
   */
  bindingCpuMs?: number;
  requestsPerRound: number;
  rounds: number;
  /** Largest photos only: isolate and fresh-process memory growth over one request, in MB (see image-memory.ts). */
  isolateMemoryMB?: number;
  rssPeakMB?: number;
}

/** The photos whose memory is measured (each on a fresh Worker, which takes a while): the largest of each accepted kind. */
const MEMORY_PAYLOADS = new Set([
  'JPEG 6000x4000 (24 MP)',
  'JPEG 6000x4000 progressive',
  'PNG 1280x960 RGB',
  'WebP 2048x2048',
]);

/** Runs bench/image-memory.ts in a child process (it needs Node's WebSocket) on the payloads of MEMORY_PAYLOADS. */
function measureMemory(payloads: Payload[]): MemoryFigure[] {
  const chosen = payloads.filter((p) => MEMORY_PAYLOADS.has(p.name));
  if (!chosen.length) return [];
  const dir = writePayloads(chosen);
  try {
    const output = execFileSync(
      process.execPath,
      ['--experimental-websocket', '--import', 'tsx', 'bench/image-memory.ts', dir],
      { encoding: 'utf8', maxBuffer: 2 ** 24 },
    );
    return JSON.parse(output.trim().split('\n').at(-1)!) as MemoryFigure[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Meter {
  worker: WorkerUnderTest;
  pids: number[];
  cpuSeconds: () => number | undefined;
}

async function post(worker: WorkerUnderTest, payload: Payload): Promise<Response> {
  return worker.fetch('/v1/classify', {
    method: 'POST',
    headers: { 'content-type': payload.contentType },
    body: payload.body,
  });
}

/** This Node process's CPU seconds (every thread, sharp's included). */
const nodeCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** workerd and Node CPU ms per request over `count` sequential requests. */
async function cpuPerRequest(
  meter: Meter,
  payload: Payload,
  count: number,
): Promise<{ workerd: number; node: number }> {
  const before = meter.cpuSeconds() ?? NaN;
  const nodeBefore = nodeCpuSeconds();
  for (let i = 0; i < count; i++) await (await post(meter.worker, payload)).arrayBuffer();
  return {
    workerd: (((meter.cpuSeconds() ?? NaN) - before) * 1000) / count,
    node: ((nodeCpuSeconds() - nodeBefore) * 1000) / count,
  };
}

/** CPU ms per request over as many requests as make >= 0.15 s of CPU (at most 300). */
async function probeCpuPerRequest(meter: Meter, payload: Payload): Promise<number> {
  const before = meter.cpuSeconds() ?? NaN;
  let count = 0;
  do {
    await (await post(meter.worker, payload)).arrayBuffer();
    count++;
  } while (count < 300 && (meter.cpuSeconds() ?? Infinity) - before < 0.15);
  return (((meter.cpuSeconds() ?? NaN) - before) * 1000) / count;
}

async function answerOf(response: Response): Promise<string> {
  const body = (await response.json()) as {
    predictions?: { label: string; score: number }[];
    detail?: string;
  };
  const top = body.predictions?.[0];
  return top ? `${top.label} ${top.score.toFixed(2)}` : (body.detail ?? '');
}

/**
 * Measures every payload; `deadline` (ms since the epoch) cuts rounds short after the first.
 * `imagesBinding` binds Cloudflare Images (Miniflare's sharp stand-in) to the classifier, measures it
 * against bench/binding-noop-worker.ts (which passes each body through the binding the same way),
 * reports the binding's own CPU too, and skips the memory figures.
 */
export async function benchImages(
  payloads: Payload[],
  options: { rounds: number; deadline: number; imagesBinding?: boolean },
): Promise<ImageFigure[]> {
  const binding = options.imagesBinding ?? false;
  const classifier: Meter = await withCpuMeter(() => startWorker({ images: binding })).then(
    ({ value, pids, cpuSeconds }) => ({ worker: value, pids, cpuSeconds }),
  );
  const noopEntry = binding ? 'bench/binding-noop-worker.ts' : 'bench/noop-worker.ts';
  const noop: Meter = await withCpuMeter(() =>
    startWorker({ entry: noopEntry, images: binding }),
  ).then(({ value, pids, cpuSeconds }) => ({ worker: value, pids, cpuSeconds }));
  const figures: ImageFigure[] = [];
  try {
    for (const payload of payloads) {
      const first = await post(classifier.worker, payload);
      const status = first.status;
      const answer = await answerOf(first);
      // Calibrate: enough requests per round for ~0.8 s of classifier CPU, from a probe long enough
      // (>= 0.15 s of CPU) that the 10 ms clock ticks do not make it a guess.
      // Warm up first (up to 30 requests or 1 s): a size's first requests compile its decoding paths,
      // which made the probe (and so the rounds) several times too short.
      for (let i = 0, until = Date.now() + 1000; i < 30 && Date.now() < until; i++)
        await (await post(classifier.worker, payload)).arrayBuffer();
      const probe = await probeCpuPerRequest(classifier, payload);
      // Through the binding, the figure is a difference of two large CPU figures (the binding's
      // plumbing runs in workerd too): >= 2 s of CPU per round, at least 20 requests.
      const count = binding
        ? Math.max(20, Math.min(120, Math.ceil(2000 / Math.max(probe, 0.5))))
        : Math.max(5, Math.min(600, Math.ceil(800 / Math.max(probe, 0.5))));
      const above: number[] = [];
      const noopMs: number[] = [];
      const noopNodeMs: number[] = [];
      for (let r = 0; r < options.rounds && (r < 1 || Date.now() < options.deadline); r++) {
        const order = r % 2 === 0 ? [classifier, noop] : [noop, classifier];
        const [a, b] = [
          await cpuPerRequest(order[0]!, payload, count),
          await cpuPerRequest(order[1]!, payload, count),
        ];
        const [mine, theirs] = order[0] === classifier ? [a, b] : [b, a];
        above.push(mine.workerd - theirs.workerd);
        noopMs.push(theirs.workerd);
        noopNodeMs.push(theirs.node);
      }
      figures.push({
        payload: payload.name,
        bytes: payload.body.byteLength,
        status,
        answer,
        cpuMs: round(median(above)),
        cpuMsRange: [round(Math.min(...above)), round(Math.max(...above))],
        noopCpuMs: round(median(noopMs)),
        ...(binding ? { bindingCpuMs: round(median(noopNodeMs)) } : {}),
        requestsPerRound: count,
        rounds: above.length,
      });
      console.log(
        `[bench] images: ${payload.name}: ${status} ${answer}; ${round(median(above))} ms CPU above no-op`,
      );
    }
  } finally {
    await Promise.all([classifier.worker.dispose(), noop.worker.dispose()]);
  }
  for (const memory of binding ? [] : measureMemory(payloads)) {
    const figure = figures.find((f) => f.payload === memory.payload);
    if (!figure) continue;
    figure.isolateMemoryMB = round(memory.isolateGrowth / 2 ** 20);
    if (memory.rssPeakGrowth !== undefined)
      figure.rssPeakMB = round(memory.rssPeakGrowth / 2 ** 20);
    console.log(
      `[bench] images: ${memory.payload}: isolate +${figure.isolateMemoryMB} MB over one request`,
    );
  }
  return figures;
}
