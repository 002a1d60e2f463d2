/**
 * Cold start: the first and second requests to a fresh workerd, next to those to the no-op Worker,
 * one fresh Miniflare per sample, alternating; the steps of the runtime's start, timed inside
 * workerd; and the startup CPU time that `wrangler check startup` profiles (global scope: parsing
 * and evaluating the bundle, which includes starting the default model's runtime).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../test/worker/harness.ts';
import { payloads } from './payloads.ts';
import { median, round } from './stats.ts';
import { wrangler } from './wrangler.ts';

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
}

/** Median milliseconds of each step of the runtime's start, timed inside workerd. */
export type PhaseFigure = Record<string, number>;

/** `samples` fresh instances of the compute Worker, each asked for /phases first. */
export async function benchPhases(samples: number, deadline: number): Promise<PhaseFigure> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < samples && (i === 0 || Date.now() < deadline); i++) {
    const worker = await startWorker({ entry: 'bench/compute-worker.ts' });
    try {
      const response = await worker.fetch('/phases');
      if (!response.ok) throw new Error(`/phases failed: HTTP ${response.status} ${await response.text()}`);
      runs.push((await response.json()) as Record<string, number>);
    } finally {
      await worker.dispose();
    }
  }
  return Object.fromEntries(Object.keys(runs[0] ?? {}).map((phase) => [phase, round(median(runs.map((run) => run[phase]!)))]));
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

async function firstRequests(entry: string | undefined): Promise<[number, number]> {
  const raw = payloads()[0]!;
  const worker = await startWorker(entry === undefined ? {} : { entry });
  try {
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const response = await worker.fetch('/v1/classify', { method: 'POST', headers: { 'content-type': raw.contentType }, body: raw.body });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`first request to ${entry ?? 'the Worker'} failed: HTTP ${response.status}`);
      times.push(performance.now() - started);
    }
    return [times[0]!, times[1]!];
  } finally {
    await worker.dispose();
  }
}

/** `samples` fresh instances of each Worker, alternating, stopping early at `deadline` (ms since the epoch). */
export async function benchFirstRequest(samples: number, deadline: number): Promise<FirstRequestFigure[]> {
  const runs = { 'no-op': [] as [number, number][], classifier: [] as [number, number][] };
  for (let i = 0; i < samples && (i === 0 || Date.now() < deadline); i++) {
    const order = i % 2 === 0 ? (['no-op', 'classifier'] as const) : (['classifier', 'no-op'] as const);
    for (const name of order) runs[name].push(await firstRequests(name === 'no-op' ? NOOP_ENTRY : undefined));
  }
  const firstOf = (worker: keyof typeof runs): number => median(runs[worker].map(([first]) => first));
  const secondOf = (worker: keyof typeof runs): number => median(runs[worker].map(([, second]) => second));
  return (['no-op', 'classifier'] as const).map((worker) => ({
    worker,
    samples: runs[worker].length,
    firstMs: round(firstOf(worker)),
    secondMs: round(secondOf(worker)),
    beyondNoopMs: round(firstOf(worker) - firstOf('no-op')),
    secondBeyondNoopMs: round(secondOf(worker) - secondOf('no-op')),
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
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, us]) => ({ name, ms: round(us / 1000) }));
  return { cpuMs: cpuUs / 1000, top };
}

/** `wrangler check startup` `runs` times per Worker (it builds with wrangler.toml, i.e. as deployed). */
export async function benchStartup(runs: number, deadline: number): Promise<StartupFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  try {
    const results = { 'no-op': [] as ReturnType<typeof profileCpu>[], classifier: [] as ReturnType<typeof profileCpu>[] };
    for (let i = 0; i < runs && (i === 0 || Date.now() < deadline); i++) {
      for (const worker of ['classifier', 'no-op'] as const) {
        const outfile = join(dir, `${worker}-${i}.cpuprofile`);
        await wrangler(['check', 'startup', '--outfile', outfile, ...(worker === 'no-op' ? [`--args=${NOOP_ENTRY}`] : [])]);
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
