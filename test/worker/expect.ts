/**
 * Assertions shared by the Worker tests.
 */
import { expect } from 'vitest';

/** An RFC 9457 problem document. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/**
 * Asserts `response` is an application/problem+json answer with `status` whose detail matches
 * `detail` (when given), and returns the problem.
 */
export async function expectProblem(response: Response, status: number, detail?: RegExp): Promise<ProblemBody> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as ProblemBody;
  expect(problem).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
  if (detail) expect(problem.detail).toMatch(detail);
  // A stack trace in a response is a leak, whatever the status.
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return problem;
}

/** Asserts two probability vectors agree to float32 precision. */
export function expectSameProbabilities(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}
