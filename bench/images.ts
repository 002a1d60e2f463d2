/**
 * What an image costs the Worker: workerd CPU per request of the real bundle above the no-op
 * Worker (bench/noop-worker.ts, which reads the same body), for photos of the sizes people send and
 * for crafted files, and the workerd process's peak memory growth while one request decodes.
 * Requests are sequential, over loopback to Miniflare; rounds alternate the two Workers, each round
 * long enough (>= ~0.5 s of CPU) that /proc's 10 ms clock ticks are a small error.
 */
import { startWorker, type WorkerUnderTest } from '../harness/worker/start-worker.ts';
import type { Payload } from './payloads.ts';
import { withCpuMeter } from './process-cpu.ts';
import { peakGrowth } from './process-memory.ts';
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
  requestsPerRound: number;
  rounds: number;
  /** Peak RSS growth of the classifier's workerd during one request, in MB (upper bound). */
  peakMemoryMB?: number;
}

interface Meter {
  worker: WorkerUnderTest;
  pids: number[];
  cpuSeconds: () => number | undefined;
}

async function post(worker: WorkerUnderTest, payload: Payload): Promise<Response> {
  return worker.fetch('/v1/classify', { method: 'POST', headers: { 'content-type': payload.contentType }, body: payload.body });
}

/** CPU ms per request over `count` sequential requests. */
async function cpuPerRequest(meter: Meter, payload: Payload, count: number): Promise<number> {
  const before = meter.cpuSeconds() ?? NaN;
  for (let i = 0; i < count; i++) await (await post(meter.worker, payload)).arrayBuffer();
  return (((meter.cpuSeconds() ?? NaN) - before) * 1000) / count;
}

async function answerOf(response: Response): Promise<string> {
  const body = (await response.json()) as { predictions?: { label: string; score: number }[]; detail?: string };
  const top = body.predictions?.[0];
  return top ? `${top.label} ${top.score.toFixed(2)}` : (body.detail ?? '');
}

/** Measures every payload; `deadline` (ms since the epoch) cuts rounds short after the first. */
export async function benchImages(payloads: Payload[], options: { rounds: number; deadline: number }): Promise<ImageFigure[]> {
  const classifier: Meter = await withCpuMeter(() => startWorker()).then(({ value, pids, cpuSeconds }) => ({ worker: value, pids, cpuSeconds }));
  const noop: Meter = await withCpuMeter(() => startWorker({ entry: 'bench/noop-worker.ts' })).then(({ value, pids, cpuSeconds }) => ({ worker: value, pids, cpuSeconds }));
  const figures: ImageFigure[] = [];
  try {
    for (const payload of payloads) {
      const first = await post(classifier.worker, payload);
      const status = first.status;
      const answer = await answerOf(first);
      // Calibrate: enough requests per round for ~0.5 s of classifier CPU.
      const probe = await cpuPerRequest(classifier, payload, 3);
      const count = Math.max(5, Math.min(400, Math.ceil(500 / Math.max(probe, 0.5))));
      const above: number[] = [];
      const noopMs: number[] = [];
      for (let r = 0; r < options.rounds && (r < 1 || Date.now() < options.deadline); r++) {
        const order = r % 2 === 0 ? [classifier, noop] : [noop, classifier];
        const [a, b] = [await cpuPerRequest(order[0]!, payload, count), await cpuPerRequest(order[1]!, payload, count)];
        const [mine, theirs] = order[0] === classifier ? [a, b] : [b, a];
        above.push(mine - theirs);
        noopMs.push(theirs);
      }
      const peak = await peakGrowth(classifier.pids, async () => void (await (await post(classifier.worker, payload)).arrayBuffer()));
      figures.push({
        payload: payload.name,
        bytes: payload.body.byteLength,
        status,
        answer,
        cpuMs: round(median(above)),
        cpuMsRange: [round(Math.min(...above)), round(Math.max(...above))],
        noopCpuMs: round(median(noopMs)),
        requestsPerRound: count,
        rounds: above.length,
        ...(peak === undefined ? {} : { peakMemoryMB: round(peak / 2 ** 20) }),
      });
      console.log(`[bench] images: ${payload.name}: ${status} ${answer}; ${round(median(above))} ms CPU above no-op`);
    }
    return figures;
  } finally {
    await Promise.all([classifier.worker.dispose(), noop.worker.dispose()]);
  }
}
