/**
 * Training speed per backend: one-epoch builds (`train/cli.ts --epochs 1 --force`) on wasm and on
 * cpu, alternating, each in its own process; and the time to the accuracy bar, from the model
 * card of the served model (models/fashion-mnist-mlp.json) and the measured epoch times.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardPaths } from '../train/outputs.ts';
import type { ModelCard } from '../train/model-card.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { median, round } from './stats.ts';

/** test/model.test.ts' floor for test accuracy; applied per epoch to validation accuracy. */
export const ACCURACY_BAR = 0.885;
const SERVED_CARD = cardPaths(join(PROJECT_ROOT, 'models/fashion-mnist-mlp.bin')).json;
const BACKENDS = ['wasm', 'cpu'] as const;

/** Figures of one backend. */
export interface TrainingFigure {
  backend: (typeof BACKENDS)[number];
  /** One-epoch runs that finished (and their seconds for the epoch itself). */
  epochSeconds: number[];
  /** Median epoch seconds; NaN when no run finished within its time. */
  medianEpochSeconds: number;
  /** Wall seconds of a whole one-epoch build (data loading, evaluation, writing included), median. */
  medianProcessSeconds: number;
  /** Batch size the runs used (the CLI default). */
  batchSize: number;
  /** Epochs the served model needed to reach ACCURACY_BAR on validation (from its card). */
  epochsToBar: number;
  /** epochsToBar x medianEpochSeconds. */
  estimatedSecondsToBar: number;
  /** Why a run did not finish, if one did not. */
  note?: string;
}

/** The served model's card: its history decides the epochs needed to reach the bar. */
export interface CardFigure {
  backend: string;
  epochs: number;
  batchSize: number;
  totalSeconds: number;
  epochsToBar: number;
  /** Cumulative training seconds up to the end of the epoch that reached the bar. */
  secondsToBar: number;
  testFloatAccuracy: number;
}

async function servedCard(): Promise<CardFigure> {
  const card = JSON.parse(await readFile(SERVED_CARD, 'utf8')) as ModelCard;
  const history = card.training.history;
  const reached = history.findIndex((epoch) => epoch.validationAccuracy >= ACCURACY_BAR);
  const upTo = reached < 0 ? history : history.slice(0, reached + 1);
  return {
    backend: card.training.backend,
    epochs: card.training.epochs,
    batchSize: card.training.batchSize,
    totalSeconds: round(card.training.seconds),
    epochsToBar: reached < 0 ? NaN : reached + 1,
    secondsToBar: round(upTo.reduce((sum, epoch) => sum + epoch.seconds, 0)),
    testFloatAccuracy: card.test.floatAccuracy,
  };
}

/** One `--epochs 1` build on `backend`, killed after `timeoutMs`. Resolves its card, or undefined on timeout. */
function oneEpoch(
  backend: string,
  dir: string,
  timeoutMs: number,
): Promise<{ card: ModelCard; seconds: number } | undefined> {
  const out = join(dir, backend, 'model.bin');
  const started = performance.now();
  // node --import tsx: a single process, so a timeout kill leaves no grandchild behind.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'train/cli.ts',
      '--epochs',
      '1',
      '--force',
      '--backend',
      backend,
      '--out',
      out,
    ],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', async (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve(undefined);
      if (code !== 0)
        return reject(
          new Error(`training on ${backend} exited with ${code}:\n${stderr.slice(-2000)}`),
        );
      const card = JSON.parse(await readFile(cardPaths(out).json, 'utf8')) as ModelCard;
      resolve({ card, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/**
 * Alternates one-epoch builds on wasm and cpu for up to `rounds` rounds while time remains before
 * `deadline` (ms since the epoch); a run is killed when it would pass the deadline.
 */
export async function benchTraining(
  rounds: number,
  deadline: number,
): Promise<{ backends: TrainingFigure[]; servedModel: CardFigure }> {
  const servedModel = await servedCard();
  const dir = await mkdtemp(join(tmpdir(), 'bench-training-'));
  const runs = new Map<string, { epoch: number; process: number; batchSize: number }[]>(
    BACKENDS.map((b) => [b, []]),
  );
  const notes = new Map<string, string>();
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? BACKENDS : [...BACKENDS].reverse();
      for (const backend of order) {
        const left = deadline - Date.now();
        if (left < 10_000 || notes.has(backend)) continue;
        const result = await oneEpoch(backend, dir, left);
        if (!result) {
          notes.set(
            backend,
            `a one-epoch build was stopped after ${Math.round(left / 1000)} s, at the end of the time budget`,
          );
          continue;
        }
        const epoch = result.card.training.history[0]!.seconds;
        runs
          .get(backend)!
          .push({ epoch, process: result.seconds, batchSize: result.card.training.batchSize });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const backends = BACKENDS.map((backend): TrainingFigure => {
    const done = runs.get(backend)!;
    const epochSeconds = median(done.map((run) => run.epoch));
    const note = notes.get(backend);
    return {
      backend,
      epochSeconds: done.map((run) => round(run.epoch)),
      medianEpochSeconds: round(epochSeconds),
      medianProcessSeconds: round(median(done.map((run) => run.process))),
      batchSize: done[0]?.batchSize ?? NaN,
      epochsToBar: servedModel.epochsToBar,
      estimatedSecondsToBar: round(servedModel.epochsToBar * epochSeconds),
      ...(note ? { note } : {}),
    };
  });
  return { backends, servedModel };
}
