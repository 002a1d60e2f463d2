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

  /** The same problem with its detail prefixed by where in the request it arose, e.g. `instances[3].b64`. */
  at(where: string): Problem {
    return new Problem(this.status, this.title, `${where}: ${this.detail}`, this.headers);
  }
}

/** 400: the request is malformed or its content cannot be decoded. */
export const badRequest = (detail: string): Problem => new Problem(400, 'Bad Request', detail);

/** 404: no such route or no such model. */
export const notFound = (detail: string): Problem => new Problem(404, 'Not Found', detail);

/** 413: the body, the image or the batch is larger than this Worker accepts. */
export const contentTooLarge = (detail: string): Problem =>
  new Problem(413, 'Content Too Large', detail);

/** 415: the Content-Type is missing or not one the route accepts. */
export const unsupportedMediaType = (detail: string): Problem =>
  new Problem(415, 'Unsupported Media Type', detail);

/** 422: the content decodes but cannot be processed, e.g. an image showing no garment. */
export const unprocessableContent = (detail: string): Problem =>
  new Problem(422, 'Unprocessable Content', detail);

/**
 * Renders a problem as an `application/problem+json` response. With `errorMember`, the body also
 * carries the detail as `error` (an RFC 9457 extension member): TF Serving and Open Inference
 * Protocol clients read their message from there.
 */
export function problemResponse(problem: Problem, errorMember = false): Response {
  const body = {
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(errorMember ? { error: problem.detail } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
  });
}

/** The 500 answer to a bug, which says nothing about the internals; `error` goes to the log. */
export function internalError(error: unknown, errorMember = false): Response {
  console.error(error);
  return problemResponse(
    new Problem(
      500,
      'Internal Server Error',
      'the server failed to handle this request; the error has been logged',
    ),
    errorMember,
  );
}
