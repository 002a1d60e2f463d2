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
export async function expectProblem(
  response: Response,
  status: number,
  detail?: RegExp,
): Promise<ProblemBody> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as ProblemBody;
  expect(problem).toMatchObject({
    type: 'about:blank',
    status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (detail) expect(problem.detail).toMatch(detail);
  // A stack trace in a response is a leak, whatever the status.
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return problem;
}

/**
 * Asserts that an upload the Worker must refuse mid-stream (`answer`: the fetch, or how it failed)
 * got the `status` problem, or else that the connection was reset under the upload. The reset is the
 * other outcome of a race TCP allows: the Worker answers and stops reading, the connection closes
 * with the client's upload unread, and the reset can reach the client's next write before it has
 * read the answer. Callers still check, either way, how much the client got to send.
 */
export async function expectRefusedUpload(
  answer: Promise<Response>,
  status: number,
  detail: RegExp,
): Promise<void> {
  const outcome = await answer.catch((error: unknown) => error);
  if (outcome instanceof Response) await expectProblem(outcome, status, detail);
  else
    expect((outcome as { cause?: { code?: string } }).cause?.code, String(outcome)).toBe(
      'ECONNRESET',
    );
}

/** Asserts two probability vectors agree to float32 precision. */
export function expectSameProbabilities(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}
