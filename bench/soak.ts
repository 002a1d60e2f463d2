/**
 * `npm run soak`: a bounded load and soak test of the real Worker bundle in workerd (Miniflare, on
 * loopback only). It sends at least 100,000 mixed requests — valid and hostile, to every endpoint in
 * every content type, single images and full batches, and now and then the most expensive requests
 * the limits admit or refuse — at 1, 8 and 32 requests in flight, and reports:
 *
 * - answers by status; 5xx; dropped connections (failed fetches and timeouts); answers that break the
 *   rules of harness/hostile.ts (a valid request not answered 200 of the right shape, a 4xx that
 *   is not a problem document);
 * - tfjs tensors, the wasm heap and initialisations before and after (GET /v1/runtime of the
 *   serving isolate), and that no
 *   request body bytes are left counted as buffered;
 * - memory, over the V8 inspector (whose commands wait while a request runs, so samples fall
 *   between requests, with the others of the 32 in flight holding what they hold): the isolate's
 *   live memory, JS heap and ArrayBuffers right after a full GC (forced every few seconds by a heap
 *   snapshot), plus its wasm heap, which is what counts against the 128 MB; the same without the
 *   GC, garbage included (locally V8 has no limit to collect for); and the peak RSS of the whole
 *   workerd process, which also counts the runtime and Miniflare's own workers.
 *
 * It prints a table, writes bench-results/soak.json, and exits 1 if any check fails.
 *
 *   npm run soak -- [--requests 100000] [--minutes 10]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { PROJECT_ROOT } from '../project-root.ts';
import { testImages } from '../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../harness/worker/start-worker.ts';
import {
  answerProblem,
  heavyRequests,
  hostileRequest,
  imagePool,
  requestInit,
  type HostileRequest,
  type ImagePool,
} from '../harness/hostile.ts';
import { runtimeOf } from '../harness/worker/runtime-status.ts';
import type { RuntimeStatus } from '../worker/routes/runtime.ts';
import { currentLoad, machineInfo, type MachineInfo } from './machine.ts';
import { quantile, round } from './stats.ts';

/** Requests in flight per level, and each level's share of the requests. */
const LEVELS = [
  { concurrency: 1, share: 0.2 },
  { concurrency: 8, share: 0.4 },
  { concurrency: 32, share: 0.4 },
];
/** Distinct generated requests, sent in turn over and over. */
const SAMPLE = 4_000;
/** One request in this many is one of heavyRequests(). */
const HEAVY_EVERY = 500;
/** A request unanswered after this long counts as dropped. */
const REQUEST_TIMEOUT_MS = 60_000;
const INSPECTOR_POLL_MS = 100;
/** How often to force a full GC (by taking a heap snapshot) and measure what is live. */
const LIVE_EVERY_MS = 5_000;
const MB = 2 ** 20;

/** One concurrency level's figures. */
interface LevelFigure {
  concurrency: number;
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
  serverErrors: number;
  /** Fetches that failed (connection reset or closed, refused) or timed out. */
  dropped: number;
  /** Answers breaking the rules of answerProblem(). */
  violations: number;
}

/** Memory of the serving isolate and of workerd, in bytes. */
interface MemoryFigure {
  /** Full GCs forced under load, each followed by a measurement. */
  liveSamples: number;
  /** The largest JS heap used + ArrayBuffer backing stores right after a full GC. */
  livePeak: number;
  /** livePeak + wasmHeap: the isolate's peak live memory, what counts against the 128 MB limit. */
  isolateLivePeak: number;
  /** Inspector samples taken without a GC (between requests). */
  samples: number;
  heapUsedPeak: number;
  heapTotalPeak: number;
  backingStoresPeak: number;
  /** The largest V8 heap reserved + ArrayBuffer backing stores of one sample. */
  heapAndBuffersPeak: number;
  wasmHeap: number;
  /** heapAndBuffersPeak + wasmHeap: the isolate's footprint at its sampled peak, garbage included. */
  isolatePeak: number;
  workerdRssIdle: number;
  workerdRssPeak: number;
}

/** What bench-results/soak.json holds. */
interface SoakResults {
  generatedAt: string;
  machine: MachineInfo;
  requested: number;
  minutes: number;
  sent: number;
  seconds: number;
  /** Requests sent, by endpoint and validity, content type, and heavy ones. */
  mix: Record<string, number>;
  levels: LevelFigure[];
  runtimeBefore: RuntimeFigures;
  runtimeAfter: RuntimeFigures;
  memory: MemoryFigure;
  /** Up to 10 examples of each kind of failure. */
  failures: string[];
  passed: boolean;
}

type RuntimeFigures = Pick<
  RuntimeStatus,
  'tensors' | 'wasmHeapBytes' | 'initialisations' | 'bufferedBodyBytes'
>;

/** The mix: generated requests (seeded, so every run sends the same), with a heavy one every HEAVY_EVERY. */
function requestMix(pool: ImagePool, heavy: HostileRequest[]): HostileRequest[] {
  const sampled = fc.sample(hostileRequest(pool), { numRuns: SAMPLE, seed: 20_261_128 });
  return sampled.flatMap((request, i) =>
    i % HEAVY_EVERY === HEAVY_EVERY - 1
      ? [request, heavy[Math.floor(i / HEAVY_EVERY) % heavy.length]!]
      : [request],
  );
}

/** A minimal Chrome DevTools Protocol client over the global WebSocket (node --experimental-websocket on Node 20). */
class Inspector {
  #next = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id ?? -1);
    });
  }

  /** Connects to the isolate of the Worker that Miniflare names `core:user:` (the unnamed user worker). */
  static async connect(worker: WorkerUnderTest): Promise<Inspector> {
    if (typeof WebSocket === 'undefined')
      throw new Error(
        'no global WebSocket: run with node --experimental-websocket (npm run soak does)',
      );
    const base = await worker.mf.getInspectorURL();
    const targets = (await (
      await fetch(new URL('/json', base.href.replace(/^ws/, 'http')))
    ).json()) as { id: string; webSocketDebuggerUrl: string }[];
    const target = targets.find(({ id }) => id === 'core:user:');
    if (!target)
      throw new Error(
        `no user worker among the inspector targets ${targets.map(({ id }) => id).join(', ')}`,
      );
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Inspector(socket);
  }

  call<T>(method: string): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (result: unknown) => void);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls the isolate's heap figures until stopped, keeping the peaks. */
function sampleHeap(inspector: Inspector): {
  stop: () => Promise<
    Omit<
      MemoryFigure,
      'wasmHeap' | 'isolatePeak' | 'isolateLivePeak' | 'workerdRssIdle' | 'workerdRssPeak'
    >
  >;
} {
  const peak = {
    liveSamples: 0,
    livePeak: 0,
    samples: 0,
    heapUsedPeak: 0,
    heapTotalPeak: 0,
    backingStoresPeak: 0,
    heapAndBuffersPeak: 0,
  };
  type Usage = { usedSize: number; totalSize: number; backingStorageSize: number };
  let running = true;
  let lastGc = Date.now();
  const loop = (async () => {
    while (running) {
      if (Date.now() - lastGc >= LIVE_EVERY_MS) {
        // workerd's inspector ignores HeapProfiler.collectGarbage, but a snapshot starts with a full GC.
        await inspector.call('HeapProfiler.takeHeapSnapshot');
        const live = await inspector.call<Usage>('Runtime.getHeapUsage');
        peak.liveSamples++;
        peak.livePeak = Math.max(peak.livePeak, live.usedSize + live.backingStorageSize);
        lastGc = Date.now();
      }
      const usage = await inspector.call<Usage>('Runtime.getHeapUsage');
      peak.samples++;
      peak.heapUsedPeak = Math.max(peak.heapUsedPeak, usage.usedSize);
      peak.heapTotalPeak = Math.max(peak.heapTotalPeak, usage.totalSize);
      peak.backingStoresPeak = Math.max(peak.backingStoresPeak, usage.backingStorageSize);
      peak.heapAndBuffersPeak = Math.max(
        peak.heapAndBuffersPeak,
        usage.totalSize + usage.backingStorageSize,
      );
      await new Promise((resolve) => setTimeout(resolve, INSPECTOR_POLL_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** The workerd process Miniflare started for this script: the only workerd child of this process. */
function workerdPid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue; // the process ended while we looked
    }
    if (
      /^Name:\s+workerd$/m.test(status) &&
      new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)
    )
      return Number(entry);
  }
  throw new Error('found no workerd process started by this script');
}

/** A field of /proc/<pid>/status in bytes (VmRSS: now; VmHWM: peak since the process started). */
function processMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return Number(match?.[1]) * 1024;
}

/** Failure examples, at most 10 of each kind. */
class Failures {
  readonly list: string[] = [];
  readonly #counts = new Map<string, number>();
  add(kind: string, what: string): void {
    const count = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, count);
    if (count <= 10) this.list.push(`${kind}: ${what}`);
  }
}

/** Sends requests `mix[start..start+count)` (cyclically) with `concurrency` in flight until done or `deadline`. */
async function runLevel(
  worker: WorkerUnderTest,
  mix: HostileRequest[],
  start: number,
  count: number,
  concurrency: number,
  deadline: number,
  tally: Record<string, number>,
  failures: Failures,
): Promise<LevelFigure> {
  const figure: LevelFigure = {
    concurrency,
    requests: 0,
    seconds: 0,
    rps: 0,
    p50Ms: 0,
    p99Ms: 0,
    statuses: {},
    serverErrors: 0,
    dropped: 0,
    violations: 0,
  };
  const latencies: number[] = [];
  let issued = 0;
  const began = performance.now();
  const client = async () => {
    while (issued < count && Date.now() < deadline) {
      const request = mix[(start + issued++) % mix.length]!;
      const type = request.headers['Content-Type'] ?? 'none';
      for (const key of [
        `${request.endpoint} ${request.mustSucceed ? 'valid' : 'hostile'}`,
        `type ${type}`,
        ...(request.label.startsWith('heavy') ? ['heavy'] : []),
      ])
        tally[key] = (tally[key] ?? 0) + 1;
      const sent = performance.now();
      try {
        const response = await worker.fetch(request.path, {
          ...requestInit(request),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const problem = await answerProblem(request, response);
        latencies.push(performance.now() - sent);
        figure.statuses[response.status] = (figure.statuses[response.status] ?? 0) + 1;
        if (response.status >= 500) figure.serverErrors++;
        if (problem) {
          figure.violations++;
          failures.add(
            'answer',
            `${request.label} (${request.method} ${request.path}): ${problem}`,
          );
        }
      } catch (error) {
        figure.dropped++;
        const cause = (error as Error & { cause?: Error }).cause ?? error;
        failures.add(
          'dropped',
          `${request.label} (${request.method} ${request.path}): ${(cause as Error).message}`,
        );
      }
      figure.requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  figure.seconds = round((performance.now() - began) / 1000);
  figure.rps = round(figure.requests / figure.seconds);
  figure.p50Ms = round(quantile(latencies, 0.5));
  figure.p99Ms = round(quantile(latencies, 0.99));
  return figure;
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

function printReport(results: SoakResults): void {
  console.log(
    `\nsoak: ${results.sent} requests in ${results.seconds} s (load average ${results.machine.loadAverageStart} -> ${results.machine.loadAverageEnd} on ${results.machine.cores} cores)`,
  );
  console.table(
    results.levels.map((level) => ({
      'in flight': level.concurrency,
      requests: level.requests,
      s: level.seconds,
      'req/s': level.rps,
      'p50 ms': level.p50Ms,
      'p99 ms': level.p99Ms,
      '5xx': level.serverErrors,
      dropped: level.dropped,
      'bad answers': level.violations,
      statuses: Object.entries(level.statuses)
        .map(([status, n]) => `${status}:${n}`)
        .join(' '),
    })),
  );
  const { runtimeBefore: before, runtimeAfter: after, memory } = results;
  console.log(
    `tensors ${before.tensors} -> ${after.tensors}; wasm heap ${mb(before.wasmHeapBytes)} -> ${mb(after.wasmHeapBytes)}; initialisations ${after.initialisations}; body bytes buffered at the end ${after.bufferedBodyBytes}`,
  );
  console.log(
    `isolate live (${memory.liveSamples} full GCs under load): JS heap + array buffers <= ${mb(memory.livePeak)}, + wasm heap ${mb(memory.wasmHeap)} = ${mb(memory.isolateLivePeak)} peak`,
  );
  console.log(
    `isolate with garbage (${memory.samples} samples): V8 heap used <= ${mb(memory.heapUsedPeak)}, reserved <= ${mb(memory.heapTotalPeak)}; ` +
      `array buffers <= ${mb(memory.backingStoresPeak)}; peak of heap + buffers + wasm ${mb(memory.isolatePeak)}`,
  );
  console.log(
    `workerd process RSS: ${mb(memory.workerdRssIdle)} idle, ${mb(memory.workerdRssPeak)} peak (runtime and all of Miniflare's workers)`,
  );
  console.log(`mix: ${JSON.stringify(results.mix)}`);
  for (const failure of results.failures) console.log(`  ${failure}`);
  console.log(results.passed ? 'PASSED' : 'FAILED');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '100000' },
      minutes: { type: 'string', default: '10' },
    },
  });
  const requested = Number(values.requests);
  const minutes = Number(values.minutes);
  const machine = machineInfo();
  const pool = await imagePool(testImages(16).images);
  const heavy = heavyRequests(pool);
  const mix = requestMix(pool, heavy);
  const worker = await startWorker({ inspector: true });
  try {
    const pid = workerdPid();
    const workerdRssIdle = processMemory(pid, 'VmRSS');
    const inspector = await Inspector.connect(worker);
    const sampler = sampleHeap(inspector);
    const failures = new Failures();

    // Warm up with every heavy request: the wasm heap grows once to fit the largest batch, after
    // which any growth is a leak.
    const warmUp = await runLevel(worker, heavy, 0, heavy.length, 1, Infinity, {}, failures);
    const runtimeBefore = await runtimeOf(worker);

    const tally: Record<string, number> = {};
    const levels: LevelFigure[] = [];
    const began = Date.now();
    const end = began + minutes * 60_000;
    let start = 0;
    for (const [i, { concurrency, share }] of LEVELS.entries()) {
      const count = i === LEVELS.length - 1 ? requested - start : Math.round(requested * share);
      // Each level gets the time left in proportion to its share of the requests left.
      const deadline = Date.now() + ((end - Date.now()) * count) / (requested - start);
      const level = await runLevel(
        worker,
        mix,
        start,
        count,
        concurrency,
        deadline,
        tally,
        failures,
      );
      levels.push(level);
      start += level.requests;
      console.log(
        `${concurrency} in flight: ${level.requests} requests, ${level.rps} req/s, 5xx ${level.serverErrors}, dropped ${level.dropped}, bad answers ${level.violations}`,
      );
    }
    const seconds = round((Date.now() - began) / 1000);

    const runtimeAfter = await runtimeOf(worker);
    const heap = await sampler.stop();
    inspector.close();
    const memory: MemoryFigure = {
      ...heap,
      isolateLivePeak: heap.livePeak + runtimeAfter.wasmHeapBytes,
      wasmHeap: runtimeAfter.wasmHeapBytes,
      isolatePeak: heap.heapAndBuffersPeak + runtimeAfter.wasmHeapBytes,
      workerdRssIdle,
      workerdRssPeak: processMemory(pid, 'VmHWM'),
    };
    const pick = ({
      tensors,
      wasmHeapBytes,
      initialisations,
      bufferedBodyBytes,
    }: RuntimeFigures): RuntimeFigures => ({
      tensors,
      wasmHeapBytes,
      initialisations,
      bufferedBodyBytes,
    });
    const sent = levels.reduce((sum, level) => sum + level.requests, 0);
    const clean = [warmUp, ...levels].every(
      (level) => level.serverErrors + level.dropped + level.violations === 0,
    );
    const passed =
      clean &&
      sent >= requested &&
      runtimeAfter.tensors === runtimeBefore.tensors &&
      runtimeAfter.wasmHeapBytes === runtimeBefore.wasmHeapBytes &&
      runtimeAfter.initialisations === 1 &&
      runtimeAfter.bufferedBodyBytes === 0;
    const results: SoakResults = {
      generatedAt: new Date().toISOString(),
      machine: { ...machine, loadAverageEnd: currentLoad() },
      requested,
      minutes,
      sent,
      seconds,
      mix: Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b))),
      levels,
      runtimeBefore: pick(runtimeBefore),
      runtimeAfter: pick(runtimeAfter),
      memory,
      failures: failures.list,
      passed,
    };
    printReport(results);
    const dir = join(PROJECT_ROOT, 'bench-results');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'soak.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${join(dir, 'soak.json')}`);
    process.exitCode = passed ? 0 : 1;
  } finally {
    await worker.dispose();
  }
}

await main();
