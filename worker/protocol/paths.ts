/**
 * Which paths speak an inference protocol (TF Serving REST under /v1/models, the Open Inference
 * Protocol under /v2). Their clients read errors from an `error` member and do not all decompress,
 * so these paths get both (http/problem.ts, http/envelope.ts); /v1/classify keeps its own answers.
 */

/** True for /v1/models/... and /v2, /v2/... */
export function isProtocolPath(path: string): boolean {
  return path.startsWith('/v1/models/') || path === '/v2' || path.startsWith('/v2/');
}
