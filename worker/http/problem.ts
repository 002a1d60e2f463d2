/**
 * RFC 9457 problem details. Anything a client did wrong is thrown as a Problem and rendered as
 * `application/problem+json` with its status; only genuine bugs can become a 500.
 */

/** A client-facing error with an HTTP status (4xx) and a human-readable detail naming the problem. */
export class Problem extends Error {
  override name = 'Problem';
  constructor(
    /** HTTP status, e.g. 400, 413, 415. */
    readonly status: number,
    /** Short, stable summary of the problem type, e.g. "Unsupported Media Type". */
    readonly title: string,
    /** What exactly was wrong with this request. */
    readonly detail: string,
    /** Extra response headers, e.g. `Allow` for 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** Renders a problem as an `application/problem+json` response. */
export function problemResponse(problem: Problem, instance?: string): Response {
  const body = { type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, ...(instance ? { instance } : {}) };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
  });
}
