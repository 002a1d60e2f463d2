/**
 * Cold start: the first and second requests to a fresh workerd, next to those to the no-op Worker,
 * one fresh Miniflare per sample, alternating; the steps of the runtime's start, timed inside
 * workerd; and the startup CPU time that `wrangler check startup` profiles (global scope: parsing
 * and evaluating the bundle, which includes starting the default model's runtime).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../harness/worker/start-worker.ts';
import { payloads } from './payloads.ts';
import { withCpuMeter } from './process-cpu.ts';
import { median, round } from './stats.ts';
import { wrangler } from '../harness/worker/wrangler.ts';

/** First-request figures of one Worker (medians over fresh instances). */
export interface FirstRequestFigure {
  worker: 'no-op' | 'classifier';
  samples: number;
  /** Client-side latency of the first request, ms. */
  firstMs: number;
  /** Client-side latency of the second request, ms (warm). */
  secondMs: number;
  /** firstMs minus the no-op's firstMs. */
  beyondNoopMs: number;
  /** secondMs minus the no-op's secondMs. */
  secondBeyondNoopMs: number;
  /** CPU the workerd process spent on the first request, ms (schedstat: unaffected by waiting for a core). */
  firstCpuMs: number;
  /** CPU the workerd process spent on the second request, ms. */
  secondCpuMs: number;
  /** firstCpuMs minus the no-op's firstCpuMs. */
  cpuBeyondNoopMs: number;
  /** secondCpuMs minus the no-op's secondCpuMs. */
  secondCpuBeyondNoopMs: number;
  /** CPU the workerd process ran from its launch until it served (boot, the bundle, global scope), ms. */
  startupCpuMs: number;
  /** startupCpuMs minus the no-op's startupCpuMs. */
  startupCpuBeyondNoopMs: number;
}

/** Median milliseconds of each step of the runtime's start, timed inside workerd. */
export type PhaseFigure = Record<string, number>;

/** `samples` fresh instances of the compute Worker, each asked for /phases first. */
export async function benchPhases(samples: number, deadline: number): Promise<PhaseFigure> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < samples && (i === 0 || Date.now() < deadline); i++) {
    const worker = await startWorker({ entry: 'bench/compute-worker.ts', fullTfjsCore: true });
    try {
      const response = await worker.fetch('/phases');
      if (!response.ok)
        throw new Error(`/phases failed: HTTP ${response.status} ${await response.text()}`);
      runs.push((await response.json()) as Record<string, number>);
    } finally {
      await worker.dispose();
    }
  }
  return Object.fromEntries(
    Object.keys(runs[0] ?? {}).map((phase) => [
      phase,
      round(median(runs.map((run) => run[phase]!))),
    ]),
  );
}

/** `wrangler check startup` figures of one Worker entry (medians over runs). */
export interface StartupFigure {
  worker: 'no-op' | 'classifier';
  runs: number;
  /** CPU time sampled during startup (every profile sample but idle), ms. */
  cpuMs: number;
  /** The functions with the most samples in the last run, for the report. */
  top: { name: string; ms: number }[];
}

const NOOP_ENTRY = 'bench/noop-worker.ts';

/**
 * Nanoseconds the threads of `pids` have run on a core (/proc/<pid>/task/<tid>/schedstat), which
 * a loaded machine does not inflate as it does wall-clock time; undefined where it cannot be read.
 */
function runNs(pids: number[]): number | undefined {
  try {
    let ns = 0;
    for (const pid of pids) {
      for (const task of readdirSync(`/proc/${pid}/task`))
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    return pids.length > 0 ? ns : undefined;
  } catch {
    return undefined;
  }
}

/** [wall ms, CPU ms] of the first and of the second request, then [the CPU ms of startup]. */
type RequestPair = [[number, number], [number, number], [number]];

async function firstRequests(entry: string | undefined): Promise<RequestPair> {
  const raw = payloads()[0]!;
  const { value: worker, pids } = await withCpuMeter(() =>
    startWorker(entry === undefined ? {} : { entry }),
  );
  const startupMs = (runNs(pids) ?? NaN) / 1e6;
  try {
    const times: [number, number][] = [];
    for (let i = 0; i < 2; i++) {
      const cpuBefore = runNs(pids) ?? NaN;
      const started = performance.now();
      const response = await worker.fetch('/v1/classify', {
        method: 'POST',
        headers: { 'content-type': raw.contentType },
        body: raw.body,
      });
      await response.arrayBuffer();
      if (!response.ok)
        throw new Error(
          `first request to ${entry ?? 'the Worker'} failed: HTTP ${response.status}`,
        );
      times.push([performance.now() - started, ((runNs(pids) ?? NaN) - cpuBefore) / 1e6]);
    }
    return [times[0]!, times[1]!, [startupMs]];
  } finally {
    await worker.dispose();
  }
}

/** `samples` fresh instances of each Worker, alternating, stopping early at `deadline` (ms since the epoch). */
export async function benchFirstRequest(
  samples: number,
  deadline: number,
): Promise<FirstRequestFigure[]> {
  const runs = { 'no-op': [] as RequestPair[], classifier: [] as RequestPair[] };
  for (let i = 0; i < samples && (i === 0 || Date.now() < deadline); i++) {
    const order =
      i % 2 === 0 ? (['no-op', 'classifier'] as const) : (['classifier', 'no-op'] as const);
    for (const name of order)
      runs[name].push(await firstRequests(name === 'no-op' ? NOOP_ENTRY : undefined));
  }
  /** Median of request `request` (0: first, 1: second; 2: startup), `figure` 0: wall ms, 1: CPU ms (startup: 0, CPU ms). */
  const of = (worker: keyof typeof runs, request: 0 | 1 | 2, figure: 0 | 1): number =>
    median(runs[worker].map((pair) => pair[request][figure]!));
  return (['no-op', 'classifier'] as const).map((worker) => ({
    worker,
    samples: runs[worker].length,
    firstMs: round(of(worker, 0, 0)),
    secondMs: round(of(worker, 1, 0)),
    beyondNoopMs: round(of(worker, 0, 0) - of('no-op', 0, 0)),
    secondBeyondNoopMs: round(of(worker, 1, 0) - of('no-op', 1, 0)),
    firstCpuMs: round(of(worker, 0, 1)),
    secondCpuMs: round(of(worker, 1, 1)),
    cpuBeyondNoopMs: round(of(worker, 0, 1) - of('no-op', 0, 1)),
    secondCpuBeyondNoopMs: round(of(worker, 1, 1) - of('no-op', 1, 1)),
    startupCpuMs: round(of(worker, 2, 0)),
    startupCpuBeyondNoopMs: round(of(worker, 2, 0) - of('no-op', 2, 0)),
  }));
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Sampled CPU ms of a V8 profile (a sample lasts until the next one), and where it went. */
function profileCpu(profile: CpuProfile): { cpuMs: number; top: { name: string; ms: number }[] } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  let cpuUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    cpuUs += us;
    const name = `${frame.functionName || '(top level)'}${frame.lineNumber >= 0 ? ` line ${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  });
  const top = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, us]) => ({ name, ms: round(us / 1000) }));
  return { cpuMs: cpuUs / 1000, top };
}

/** `wrangler check startup` `runs` times per Worker (it builds with wrangler.toml, i.e. as deployed). */
export async function benchStartup(runs: number, deadline: number): Promise<StartupFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  try {
    const results = {
      'no-op': [] as ReturnType<typeof profileCpu>[],
      classifier: [] as ReturnType<typeof profileCpu>[],
    };
    for (let i = 0; i < runs && (i === 0 || Date.now() < deadline); i++) {
      for (const worker of ['classifier', 'no-op'] as const) {
        const outfile = join(dir, `${worker}-${i}.cpuprofile`);
        await wrangler([
          'check',
          'startup',
          '--outfile',
          outfile,
          ...(worker === 'no-op' ? [`--args=${NOOP_ENTRY}`] : []),
        ]);
        results[worker].push(profileCpu(JSON.parse(await readFile(outfile, 'utf8')) as CpuProfile));
      }
    }
    return (['no-op', 'classifier'] as const).map((worker) => ({
      worker,
      runs: results[worker].length,
      cpuMs: round(median(results[worker].map((r) => r.cpuMs))),
      top: results[worker].at(-1)?.top ?? [],
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
