/**
 * What reading a request body costs in workerd, per way of reading it (bench/body-read-worker.ts):
 * the CPU of the workerd process per request (bench/process-cpu.ts), steadier than req/s on a
 * shared machine, over alternating autocannon rounds on one connection. Prints the medians, and
 * the median of each round's difference to `whole` (paired, so that the machine's load, which moves
 * every figure together, cancels out), and writes bench-results/body-read.json.
 *
 *   npx tsx bench/body-read.ts [rounds=8] [seconds=3]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startWorker } from '../harness/worker/start-worker.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { withCpuMeter } from './process-cpu.ts';
import { median, round } from './stats.ts';

const READS = ['whole', 'to-eof', 'readBody'] as const;
/** Body sizes: one raw 28x28 image, a 64 KiB upload (the largest that used to be read whole), a 12 MP JPEG. */
const SIZES = [784, 64 * 1024, 1_500_000];

const rounds = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 3);

/** One autocannon run against `url`: workerd CPU microseconds per response. */
function run(url: URL, bytes: number, cpuSeconds: () => number | undefined): Promise<number> {
  const before = cpuSeconds();
  let responses = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.href,
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(bytes),
        connections: 1,
        duration: seconds,
      },
      (error, result) => {
        const after = cpuSeconds();
        if (error) return reject(error);
        if (result.non2xx + result.errors + result.timeouts > 0)
          return reject(
            new Error(
              `${url.search}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
            ),
          );
        if (before === undefined || after === undefined)
          return reject(new Error('workerd CPU time cannot be read here (no /proc)'));
        resolve(((after - before) * 1e6) / responses);
      },
    );
    instance.on('response', () => responses++);
  });
}

const { value: worker, cpuSeconds } = await withCpuMeter(() =>
  startWorker({ entry: 'bench/body-read-worker.ts' }),
);
try {
  const samples = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const bytes of SIZES) {
      for (const read of r % 2 === 0 ? READS : [...READS].reverse()) {
        const key = `${read} ${bytes}`;
        samples.set(key, [
          ...(samples.get(key) ?? []),
          await run(new URL(`/?read=${read}`, worker.url), bytes, cpuSeconds),
        ]);
      }
    }
  }
  const figures = SIZES.flatMap((bytes) =>
    READS.map((read) => {
      const runs = samples.get(`${read} ${bytes}`)!;
      const whole = samples.get(`whole ${bytes}`)!;
      const beyondWhole = runs.map((us, index) => us - whole[index]!);
      return {
        read,
        bytes,
        rounds: runs.length,
        cpuUsPerRequest: round(median(runs)),
        beyondWholeUs: round(median(beyondWhole)),
      };
    }),
  );
  for (const f of figures)
    console.log(
      `${f.read.padEnd(8)} ${String(f.bytes).padStart(6)} B: ${f.cpuUsPerRequest} us workerd CPU per request, ${f.beyondWholeUs} us beyond whole (medians of ${f.rounds})`,
    );
  const dir = join(PROJECT_ROOT, 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'body-read.json'),
    `${JSON.stringify({ generatedAt: new Date().toISOString(), seconds, figures }, null, 2)}\n`,
  );
  console.log(`wrote ${join(dir, 'body-read.json')}`);
} finally {
  await worker.dispose();
}
