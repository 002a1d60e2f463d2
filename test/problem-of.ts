/** Test helpers that expect a Problem (worker/http/problem.ts) and fail the test on anything else. */
import { Problem } from '../worker/http/problem.ts';

function asProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  throw new Error(`expected a Problem, got ${String(error)}`);
}

/** The Problem `fn` throws; fails on any other error, or none. */
export function problemOf(fn: () => unknown): Problem {
  try {
    fn();
  } catch (error) {
    return asProblem(error);
  }
  throw new Error('expected a Problem, but nothing was thrown');
}

/** The Problem `pending` rejects with; fails on any other error, or none. */
export async function problemOfAsync(pending: Promise<unknown>): Promise<Problem> {
  try {
    await pending;
  } catch (error) {
    return asProblem(error);
  }
  throw new Error('expected a Problem, but the promise resolved');
}
