/** The OpenAPI description of GET /v1/runtime (routes/runtime.ts). */
import { json, problemRef, publicAccess } from './protocol/openapi-parts.ts';

const count = { type: 'integer', minimum: 0 };

/** The RuntimeStatus schema. */
export const runtimeStatusSchema = {
  type: 'object',
  description:
    'The isolate that answered: each Cloudflare location runs its own isolates, and each answers for itself.',
  required: [
    'backend',
    'wasmBinary',
    'simd',
    'tfjsVersion',
    'tensors',
    'wasmHeapBytes',
    'initialised',
    'initialisations',
    'models',
    'predictions',
    'bufferedBodyBytes',
  ],
  properties: {
    backend: {
      type: 'string',
      description: "The tfjs backend ('wasm'), or 'none' before it started.",
    },
    wasmBinary: { type: 'string', description: "The tfjs wasm binary's file name, or 'none'." },
    simd: { type: 'boolean', description: 'Whether that binary is the SIMD build.' },
    tfjsVersion: { type: 'string' },
    tensors: {
      ...count,
      description: 'Live tfjs tensors: constant between requests, else a leak.',
    },
    wasmHeapBytes: {
      ...count,
      description: 'Size of the wasm memory (it grows on demand and never shrinks).',
    },
    initialised: { type: 'boolean', description: 'Whether the backend has started.' },
    initialisations: {
      ...count,
      description:
        'How many times the isolate started initialising the backend: 1 unless a start failed.',
    },
    models: {
      type: 'array',
      items: { type: 'string' },
      description: 'Models loaded, in load order.',
    },
    predictions: { ...count, description: 'Predictions run, warm-ups included.' },
    bufferedBodyBytes: {
      ...count,
      description: 'Request body bytes held right now, counted against the upload budget.',
    },
  },
};

/** The /v1/runtime path item. */
export const runtimePath = {
  get: {
    operationId: 'runtimeStatus',
    security: publicAccess,
    summary:
      'The answering isolate: backend, SIMD, tfjs version, tensors, wasm heap, models loaded, predictions, upload bytes held',
    responses: {
      200: json('The runtime status; never cached.', {
        $ref: '#/components/schemas/RuntimeStatus',
      }),
      405: problemRef('MethodNotAllowed'),
    },
  },
};
