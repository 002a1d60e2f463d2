/**
 * HTTP throughput and latency against Miniflare on loopback: the real Worker bundle and the no-op
 * Worker (bench/noop-worker.ts) in the same workerd build, loaded alternately by autocannon for
 * each payload and connection count, the order flipping every round. When the CNN is bundled, the
 * real Worker is also loaded with `?model=cnn`.
 */
import autocannon from 'autocannon';
import { startWorker, type WorkerUnderTest } from '../harness/worker/start-worker.ts';
import { payloads, type Payload } from './payloads.ts';
import { withCpuMeter } from './process-cpu.ts';
import { median, quantile, round } from './stats.ts';

/** One server, payload and connection count: medians over the rounds. */
export interface HttpFigure {
  worker: 'no-op' | 'classifier' | 'classifier ?model=cnn';
  payload: string;
  connections: number;
  rounds: number;
  /** Successful (2xx) responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests over all rounds (errors, timeouts, non-2xx): should be 0. */
  failures: number;
  /**
   * CPU time of the whole workerd process (user + system, Miniflare's entry worker included) per
   * response, in microseconds: steadier than req/s on a shared machine. Absent without /proc.
   */
  cpuUsPerRequest?: number;
  /** classifier rps / no-op rps for the same payload and connections (1 for the no-op). */
  rpsRatio: number;
}

interface Sample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  cpuUsPerRequest: number | undefined;
}

/** What autocannon loads: a Worker, the classify URL's query string and its workerd's CPU seconds so far. */
interface Target {
  worker: WorkerUnderTest;
  query: string;
  cpuSeconds: () => number | undefined;
}

/** One autocannon run of `seconds`, with latencies of every 2xx response (autocannon's own histogram has 1 ms steps). */
function load(
  { worker, query, cpuSeconds }: Target,
  payload: Payload,
  connections: number,
  seconds: number,
): Promise<Sample> {
  const latencies: number[] = [];
  let responses = 0;
  const cpuBefore = cpuSeconds();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(`/v1/classify${query}`, worker.url).href,
        method: 'POST',
        headers: { 'content-type': payload.contentType },
        body: Buffer.from(payload.body),
        connections,
        duration: seconds,
      },
      (error, result) => {
        if (error) return reject(error);
        const cpuAfter = cpuSeconds();
        resolve({
          rps: latencies.length / result.duration,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          failures: result.errors + result.timeouts + result.non2xx,
          cpuUsPerRequest:
            cpuBefore === undefined || cpuAfter === undefined
              ? undefined
              : ((cpuAfter - cpuBefore) * 1e6) / responses,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      responses++;
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** The median CPU per request of `runs`, when every run could measure it. */
function cpuFigure(runs: Sample[]): Pick<HttpFigure, 'cpuUsPerRequest'> {
  const cpu = runs.map((s) => s.cpuUsPerRequest);
  return cpu.length > 0 && cpu.every((us) => us !== undefined)
    ? { cpuUsPerRequest: round(median(cpu as number[])) }
    : {};
}

/** Fails early, with the Worker's answer, if it does not accept the payload. */
async function check({ worker, query }: Target, payload: Payload): Promise<void> {
  const response = await worker.fetch(`/v1/classify${query}`, {
    method: 'POST',
    headers: { 'content-type': payload.contentType },
    body: payload.body,
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${payload.name}: HTTP ${response.status} ${body}`);
}

/**
 * Runs `rounds` alternating rounds of `seconds` per worker, payload and connection count.
 * `deadline` (ms since the epoch) cuts the rounds short; at least one round always runs.
 */
export async function benchHttp(options: {
  rounds: number;
  seconds: number;
  connections: number[];
  deadline: number;
}): Promise<HttpFigure[]> {
  const { value: classifier, cpuSeconds: classifierCpu } = await withCpuMeter(() => startWorker());
  const { value: noop, cpuSeconds: noopCpu } = await withCpuMeter(() =>
    startWorker({ entry: 'bench/noop-worker.ts' }),
  );
  const probe = await classifier.fetch('/v2/models/cnn/ready');
  await probe.arrayBuffer();
  const cnn = probe.ok;
  const workers: Partial<Record<HttpFigure['worker'], Target>> = {
    'no-op': { worker: noop, query: '', cpuSeconds: noopCpu },
    classifier: { worker: classifier, query: '', cpuSeconds: classifierCpu },
    ...(cnn
      ? {
          'classifier ?model=cnn': {
            worker: classifier,
            query: '?model=cnn',
            cpuSeconds: classifierCpu,
          },
        }
      : {}),
  };
  const names = Object.keys(workers) as HttpFigure['worker'][];
  try {
    const bodies = payloads();
    for (const payload of bodies)
      for (const target of Object.values(workers)) await check(target!, payload);
    const samples = new Map<string, Sample[]>();
    const key = (worker: string, payload: string, connections: number): string =>
      `${worker}|${payload}|${connections}`;
    for (let r = 0; r < options.rounds && (r === 0 || Date.now() < options.deadline); r++) {
      for (const payload of bodies) {
        for (const connections of options.connections) {
          const order = r % 2 === 0 ? names : [...names].reverse();
          for (const name of order) {
            const sample = await load(workers[name]!, payload, connections, options.seconds);
            const k = key(name, payload.name, connections);
            samples.set(k, [...(samples.get(k) ?? []), sample]);
          }
        }
      }
    }
    const figures: HttpFigure[] = [];
    for (const payload of bodies) {
      for (const connections of options.connections) {
        const rpsOf = (name: string): number =>
          median((samples.get(key(name, payload.name, connections)) ?? []).map((s) => s.rps));
        for (const name of names) {
          const runs = samples.get(key(name, payload.name, connections)) ?? [];
          figures.push({
            worker: name,
            payload: payload.name,
            connections,
            rounds: runs.length,
            rps: round(median(runs.map((s) => s.rps)), 4),
            p50Ms: round(median(runs.map((s) => s.p50Ms))),
            p99Ms: round(median(runs.map((s) => s.p99Ms))),
            failures: runs.reduce((sum, s) => sum + s.failures, 0),
            rpsRatio: round(rpsOf(name) / rpsOf('no-op')),
            ...cpuFigure(runs),
          });
        }
      }
    }
    return figures;
  } finally {
    await Promise.all([classifier.dispose(), noop.dispose()]);
  }
}
