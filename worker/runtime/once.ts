/**
 * Memoises an async initialiser: concurrent callers share the one run in flight, and its result is
 * kept for the life of the isolate. A failed run is forgotten, so a later call retries instead of
 * the isolate serving the same error until it is recycled.
 */
export function onceUntilSuccess<T>(init: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= init().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
