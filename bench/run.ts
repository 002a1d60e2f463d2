/**
 * `npm run bench`: runs the benchmark parts in sequence within a global time budget (default
 * 600 s), prints a summary, and writes bench-results/results.json and BENCHMARKS.md (the measured
 * sections, then bench/analysis.md verbatim).
 *
 *   npm run bench -- [--budget SECONDS] [--only bundle,compute,cold-start,http,images,images-binding,training]
 *   npm run bench -- --report    (re-renders BENCHMARKS.md from the last results.json, e.g. after
 *                                 editing bench/analysis.md; measures nothing)
 *
 * Every part starts its own workerd or wrangler processes and stops them before the next part; a
 * part that fails is recorded with its error and the run goes on.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../project-root.ts';
import { benchBundle } from './bundle.ts';
import { benchFirstRequest, benchPhases, benchStartup } from './cold-start.ts';
import { benchCompute } from './compute.ts';
import { benchHttp } from './http.ts';
import { benchImages } from './images.ts';
import { craftedPayloads } from './crafted-payloads.ts';
import { bindingPayloads, photoPayloads } from './photo-payloads.ts';
import { currentLoad, machineInfo } from './machine.ts';
import { renderMarkdown, printSummary } from './report.ts';
import { checkTargets, type Results } from './results.ts';
import { benchTraining } from './training.ts';

type Measured = Omit<
  Results,
  'targets' | 'machine' | 'generatedAt' | 'budgetSeconds' | 'elapsedSeconds' | 'parts'
>;

/** A part: its share of the budget (seconds; the last part takes what is left) and what it fills in. */
interface Part {
  name: string;
  seconds: number;
  run(deadline: number): Promise<Partial<Measured>>;
}

const PARTS: Part[] = [
  { name: 'bundle', seconds: 30, run: async () => ({ bundle: await benchBundle() }) },
  {
    name: 'compute',
    seconds: 60,
    run: async () => ({
      compute: await benchCompute({ rounds: 15, targetMs: 30, batches: [1, 64] }),
    }),
  },
  {
    name: 'cold-start',
    seconds: 200,
    run: async (deadline) => ({
      // 24 fresh isolates per Worker: with 8, the first request's median moved by 2 ms run to run.
      firstRequest: await benchFirstRequest(24, deadline - 60_000),
      phases: await benchPhases(3, deadline - 45_000),
      startup: await benchStartup(3, deadline - 15_000),
    }),
  },
  {
    name: 'http',
    seconds: 170,
    run: async (deadline) => ({
      http: await benchHttp({
        rounds: 3,
        seconds: 3,
        connections: [1, 8],
        deadline: deadline - 40_000,
      }),
    }),
  },
  {
    name: 'images',
    seconds: 360,
    run: async (deadline) => ({
      images: await benchImages([...(await photoPayloads()), ...(await craftedPayloads())], {
        rounds: 3,
        deadline: deadline - 60_000,
      }),
    }),
  },
  {
    name: 'images-binding',
    seconds: 240,
    run: async (deadline) => ({
      imagesBinding: await benchImages(await bindingPayloads(), {
        rounds: 3,
        deadline: deadline - 30_000,
        imagesBinding: true,
      }),
    }),
  },
  {
    name: 'training',
    seconds: Infinity,
    run: async (deadline) => ({ training: await benchTraining(2, deadline) }),
  },
];

const RESULTS_DIR = join(PROJECT_ROOT, 'bench-results');

/** Writes BENCHMARKS.md: the measured sections of `results`, then bench/analysis.md. */
async function writeReport(results: Results): Promise<void> {
  const notes = await readFile(join(PROJECT_ROOT, 'bench', 'analysis.md'), 'utf8');
  await writeFile(join(PROJECT_ROOT, 'BENCHMARKS.md'), renderMarkdown(results, notes));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      budget: { type: 'string', default: '600' },
      only: { type: 'string' },
      report: { type: 'boolean', default: false },
    },
  });
  if (values.report) {
    await writeReport(
      JSON.parse(await readFile(join(RESULTS_DIR, 'results.json'), 'utf8')) as Results,
    );
    return;
  }
  const budgetSeconds = Number(values.budget);
  if (!(budgetSeconds > 0))
    throw new Error(`--budget must be a positive number of seconds, got ${values.budget}`);
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !PARTS.some((part) => part.name === name));
  if (unknown?.length)
    throw new Error(
      `unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`,
    );

  const started = Date.now();
  const end = started + budgetSeconds * 1000 - 5_000; // leave time to write the results
  const machine = machineInfo();
  const parts: Results['parts'] = {};
  let measured: Measured = {};
  for (const part of PARTS.filter((p) => !only || only.includes(p.name))) {
    const partStart = Date.now();
    if (partStart >= end) {
      parts[part.name] = { seconds: 0, error: 'skipped: the time budget was used up' };
      continue;
    }
    const deadline = Math.min(end, partStart + part.seconds * 1000);
    console.log(
      `[bench] ${part.name} (up to ${Math.round((deadline - partStart) / 1000)} s, load ${currentLoad()})`,
    );
    try {
      measured = { ...measured, ...(await part.run(deadline)) };
      parts[part.name] = { seconds: (Date.now() - partStart) / 1000 };
    } catch (error) {
      parts[part.name] = {
        seconds: (Date.now() - partStart) / 1000,
        error: error instanceof Error ? error.message : String(error),
      };
      console.error(`[bench] ${part.name} failed:`, error);
    }
  }
  const base = {
    generatedAt: new Date().toISOString(),
    budgetSeconds,
    elapsedSeconds: (Date.now() - started) / 1000,
    machine: { ...machine, loadAverageEnd: currentLoad() },
    parts,
    ...measured,
  };
  const results: Results = { ...base, targets: checkTargets(base) };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeReport(results);
  printSummary(results);
  console.log(
    `[bench] wrote bench-results/results.json and BENCHMARKS.md in ${Math.round(results.elapsedSeconds)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
