/// <reference path="../worker/types.d.ts" />
/**
 * Bench-only Worker: times the compute variants (bench/variants.ts) inside one request each, as
 * workerd's clock only advances while a request runs and has whole-millisecond resolution here.
 *
 *   GET /compute?batch=B&rounds=R&targetMs=T
 *     -> per round and variant, the mean microseconds per image over a loop of at least T ms;
 *        variants alternate (the order rotates every round), so load on the machine hits all alike.
 *   GET /phases   (as the first request of a fresh isolate)
 *     -> milliseconds of each step the Worker runs at startup (backend start, model load with its
 *        warm-up prediction), then of the predictions of a first and a second request.
 */
import { PIXELS_PER_IMAGE } from '../classifier/architecture.ts';
import { getModel } from '../worker/inference/models.ts';
import { ensureBackend } from '../worker/runtime/shared-backend.ts';
import { activate, createVariants, type Variant } from './variants.ts';

/** One timed loop. */
export interface RoundTiming {
  round: number;
  variant: string;
  loops: number;
  perImageUs: number;
}

/** The answer of GET /compute. */
export interface ComputeResult {
  batch: number;
  variants: string[];
  timings: RoundTiming[];
  /** Largest |probability difference| of each classifying variant from the first (the project's path). */
  maxAbsDiff: Record<string, number>;
}

/** Deterministic pixels 0..255 (the compute cost does not depend on the values). */
const pixelsFor = (batch: number): Float32Array =>
  Float32Array.from({ length: batch * PIXELS_PER_IMAGE }, (_, i) => (i * 37) % 256);

/**
 * Predicts repeatedly until `targetMs` have passed; returns how many predictions ran and the time
 * they took. Reading the clock after every call costs well under a microsecond, far less than a
 * prediction, and spares a calibration that one descheduled millisecond on a busy machine can spoil.
 */
function timeRound(
  variant: Variant,
  pixels: Float32Array,
  batch: number,
  targetMs: number,
): { loops: number; ms: number } {
  const started = performance.now();
  let loops = 0;
  let ms = 0;
  do {
    variant.predictor.predict(pixels, batch);
    loops++;
    ms = performance.now() - started;
  } while (ms < targetMs);
  return { loops, ms };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? max : Infinity;
}

let variants: Promise<Variant[]> | undefined;

async function compute(batch: number, rounds: number, targetMs: number): Promise<ComputeResult> {
  // Set up once per isolate; a failure is reported and retried by the next request.
  variants ??= createVariants().catch((error: unknown) => {
    variants = undefined;
    throw error;
  });
  const all = await variants;
  const pixels = pixelsFor(batch);
  const outputs = new Map<string, Float32Array>();
  for (const variant of all) {
    if (variant.backend) await activate(variant.backend);
    timeRound(variant, pixels, batch, targetMs); // warm-up: JIT tiers, wasm heap growth
    outputs.set(variant.name, variant.predictor.predict(pixels, batch));
  }
  const timings: RoundTiming[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < all.length; k++) {
      const variant = all[(round + k) % all.length]!;
      if (variant.backend) await activate(variant.backend);
      const { loops, ms } = timeRound(variant, pixels, batch, targetMs);
      timings.push({
        round,
        variant: variant.name,
        loops,
        perImageUs: (ms * 1000) / (loops * batch),
      });
    }
  }
  const reference = outputs.get(all[0]!.name)!;
  return {
    batch,
    variants: all.map((variant) => variant.name),
    timings,
    maxAbsDiff: Object.fromEntries(
      [...outputs]
        .filter(([name]) => !all.find((variant) => variant.name === name)!.uncompared)
        .map(([name, output]) => [name, maxAbsDiff(output, reference)]),
    ),
  };
}

/** Times the steps a first classify request takes, in order. */
async function phases(): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  let last = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    times[name] = now - last;
    last = now;
  };
  ensureBackend();
  lap('backendStartMs');
  const model = (await getModel())!;
  lap('modelLoadMs');
  const pixels = pixelsFor(1);
  model.predict(pixels, 1);
  lap('firstPredictMs');
  model.predict(pixels, 1);
  lap('secondPredictMs');
  return times;
}

const integerParam = (url: URL, name: string, fallback: number): number => {
  const value = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/phases') return Response.json(await phases());
      if (url.pathname !== '/compute') return new Response('not found', { status: 404 });
      const result = await compute(
        integerParam(url, 'batch', 1),
        integerParam(url, 'rounds', 9),
        integerParam(url, 'targetMs', 25),
      );
      return Response.json(result);
    } catch (error) {
      return new Response(error instanceof Error ? (error.stack ?? error.message) : String(error), {
        status: 500,
      });
    }
  },
};
