/**
 * What one image costs the isolate in memory, seen from inside V8 rather than from the process's
 * RSS (which a warm workerd serves from pages it already holds, so it hardly moves). For each payload
 * a fresh Worker is started with its inspector open and warmed with one 28x28 PNG (model, decoders
 * loaded); a heap snapshot forces a full GC; then the payload is posted once and the isolate's JS heap
 * and ArrayBuffer backing stores (Runtime.getHeapUsage: usedSize + backingStorageSize) are read again,
 * before any GC can free what the request allocated. The growth is everything the request allocated
 * and still held, garbage included: an upper bound on its peak unless V8 collected during the
 * request (a young-generation scavenge can, for small short-lived objects). The fresh workerd's peak
 * RSS growth over the request is reported beside it (whole process: runtime, sockets, body buffers).
 *
 * Run as a child process by bench/images.ts, because the inspector client needs Node's WebSocket:
 *   node --experimental-websocket --import tsx bench/image-memory.ts <dir written by writePayloads>
 * It prints one JSON array of MemoryFigure.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, type WorkerUnderTest } from '../harness/worker/start-worker.ts';
import { testImages, toPng, type Bytes } from '../harness/dataset.ts';
import type { Payload } from './payloads.ts';
import { withCpuMeter } from './process-cpu.ts';
import { peakGrowth } from './process-memory.ts';

/** One payload's memory figures, in bytes. */
export interface MemoryFigure {
  payload: string;
  status: number;
  /** JS heap used + ArrayBuffer backing stores after the request, minus the same after a full GC before it. */
  isolateGrowth: number;
  /** Committed JS heap (totalSize) growth over the request. */
  heapCommittedGrowth: number;
  /** Peak RSS growth of the fresh workerd process over the request (undefined without /proc). */
  rssPeakGrowth?: number;
}

type Usage = { usedSize: number; totalSize: number; backingStorageSize: number };

/** The payloads as files, for the child process: <dir>/index.json lists name and content type per body file. */
export function writePayloads(payloads: Payload[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-memory-'));
  payloads.forEach((p, i) => writeFileSync(join(dir, `${i}.bin`), p.body));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify(payloads.map(({ name, contentType }) => ({ name, contentType }))),
  );
  return dir;
}

/** Sends one Chrome DevTools Protocol command to the user worker's isolate and waits for its answer. */
async function inspectorOf(
  worker: WorkerUnderTest,
): Promise<{ call: <T>(method: string) => Promise<T>; close: () => void }> {
  const base = await worker.mf.getInspectorURL();
  const targets = (await (
    await fetch(new URL('/json', base.href.replace(/^ws/, 'http')))
  ).json()) as { id: string; webSocketDebuggerUrl: string }[];
  const target = targets.find(({ id }) => id === 'core:user:');
  if (!target) throw new Error('no user worker among the inspector targets');
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  let next = 0;
  return {
    call: <T>(method: string) =>
      new Promise<T>((resolve) => {
        const id = next++;
        pending.set(id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method }));
      }),
    close: () => socket.close(),
  };
}

async function post(worker: WorkerUnderTest, contentType: string, body: Bytes): Promise<number> {
  const response = await worker.fetch('/v1/classify', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function measure(name: string, contentType: string, body: Bytes): Promise<MemoryFigure> {
  const { value: worker, pids } = await withCpuMeter(() => startWorker({ inspector: true }));
  try {
    const inspector = await inspectorOf(worker);
    await post(worker, 'image/png', toPng(testImages(1).images[0]!));
    await inspector.call('HeapProfiler.takeHeapSnapshot'); // starts with a full GC (workerd ignores collectGarbage)
    const before = await inspector.call<Usage>('Runtime.getHeapUsage');
    let status = 0;
    const rss = await peakGrowth(
      pids,
      async () => void (status = await post(worker, contentType, body)),
    );
    const after = await inspector.call<Usage>('Runtime.getHeapUsage');
    inspector.close();
    return {
      payload: name,
      status,
      isolateGrowth:
        after.usedSize + after.backingStorageSize - before.usedSize - before.backingStorageSize,
      heapCommittedGrowth: after.totalSize - before.totalSize,
      ...(rss === undefined ? {} : { rssPeakGrowth: rss }),
    };
  } finally {
    await worker.dispose();
  }
}

// Only when run as the child process: bench/images.ts imports writePayloads from here.
if (process.argv[1]?.endsWith('image-memory.ts') && process.argv[2]) {
  const dir = process.argv[2];
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    name: string;
    contentType: string;
  }[];
  const figures: MemoryFigure[] = [];
  for (const [i, { name, contentType }] of index.entries())
    figures.push(
      await measure(name, contentType, new Uint8Array(readFileSync(join(dir, `${i}.bin`)))),
    );
  console.log(JSON.stringify(figures));
}
