/**
 * Compute per inference inside workerd: runs bench/compute-worker.ts in Miniflare and asks it to
 * time every variant at batch 1 and batch 64, alternating within one request per batch size.
 */
import { startWorker } from '../harness/worker/start-worker.ts';
import type { ComputeResult } from './compute-worker.ts';
import { median, quantile, round } from './stats.ts';

/** Median figures of one variant at one batch size. */
export interface ComputeFigure {
  variant: string;
  batch: number;
  rounds: number;
  loopsPerRound: number;
  /** Median over rounds of the mean microseconds per image. */
  medianUs: number;
  /** Spread over rounds: the lowest and highest round. */
  minUs: number;
  maxUs: number;
  /** medianUs divided by the project's medianUs at the same batch size (project = 1). */
  ratio: number;
  /** Largest difference of its probabilities from the project's. */
  maxAbsDiff: number;
}

const ENTRY = 'bench/compute-worker.ts';

/** Summarises one /compute answer into a figure per variant. */
function summarise(result: ComputeResult): ComputeFigure[] {
  const byVariant = result.variants.map((variant) =>
    result.timings.filter((t) => t.variant === variant),
  );
  const project = median(byVariant[0]!.map((t) => t.perImageUs));
  return result.variants.map((variant, i) => {
    const samples = byVariant[i]!.map((t) => t.perImageUs);
    return {
      variant,
      batch: result.batch,
      rounds: samples.length,
      loopsPerRound: byVariant[i]![0]?.loops ?? 0,
      medianUs: round(median(samples)),
      minUs: round(quantile(samples, 0)),
      maxUs: round(quantile(samples, 1)),
      ratio: round(median(samples) / project),
      maxAbsDiff: round(result.maxAbsDiff[variant] ?? NaN, 2),
    };
  });
}

/** Runs the compute benchmark: `rounds` alternating rounds per batch size, each loop ~`targetMs`. */
export async function benchCompute(options: {
  rounds: number;
  targetMs: number;
  batches: number[];
}): Promise<ComputeFigure[]> {
  const worker = await startWorker({ entry: ENTRY, fullTfjsCore: true });
  try {
    const figures: ComputeFigure[] = [];
    for (const batch of options.batches) {
      const response = await worker.fetch(
        `/compute?batch=${batch}&rounds=${options.rounds}&targetMs=${options.targetMs}`,
      );
      const body = await response.text();
      if (!response.ok) throw new Error(`compute benchmark failed (${response.status}): ${body}`);
      figures.push(...summarise(JSON.parse(body) as ComputeResult));
    }
    return figures;
  } finally {
    await worker.dispose();
  }
}
