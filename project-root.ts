import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (with a trailing slash), for the Node tooling: build, scripts, tests, benchmarks. */
export const PROJECT_ROOT = fileURLToPath(new URL('./', import.meta.url));
