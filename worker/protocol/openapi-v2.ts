/**
 * The Open Inference Protocol v2 section of the OpenAPI document: health, server and model metadata
 * and infer, unversioned and under /versions/{version}, with the binary tensor data and
 * classification extensions.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { INPUT_NAME, OUTPUT_NAME } from '../routes/inference-route.ts';
import { HEADER_LENGTH } from './binary-tensors.ts';
import { INPUT_DATATYPES } from './datatypes.ts';
import {
  inferenceErrors,
  json,
  modelLookup,
  modelName,
  optionalToken,
  pathParameter,
  pixelScaleQuery,
  problem,
  problemRef,
  publicAccess,
  ref,
  string,
  timed,
} from './openapi-parts.ts';
import { PIXEL_SCALE_PARAMETER } from './pixel-scale.ts';

const integerArray = { type: 'array', items: { type: 'integer' } };

/** Schemas of the v2 section; `batchNote` says how large a batch may be. */
export const v2Schemas = (batchNote: string) => ({
  V2Tensor: {
    type: 'object',
    required: ['name', 'datatype', 'shape'],
    properties: {
      name: string,
      datatype: string,
      shape: integerArray,
      parameters: { type: 'object' },
    },
  },
  V2InferRequest: {
    type: 'object',
    required: ['inputs'],
    description: `One input named "${INPUT_NAME}": pixels of any numeric datatype with shape [N, ${IMAGE_SIZE}, ${IMAGE_SIZE}] or [N, ${PIXELS_PER_IMAGE}] (0..255 scale whatever the datatype; integer types must hold whole numbers in their range), or BYTES with shape [N] or [N, 1], each element an encoded PNG/JPEG/WebP file (base64 strings in JSON, raw in binary data) decoded as /v1/classify decodes photos. ${batchNote}`,
    properties: {
      id: { ...string, description: 'Echoed in the response.' },
      parameters: {
        type: 'object',
        properties: {
          binary_data_output: {
            type: 'boolean',
            description:
              'Send every output as binary tensor data (Triton clients set it when they request no output by name).',
          },
          [PIXEL_SCALE_PARAMETER]: {
            enum: [1, 255],
            description: 'As the pixel_scale query parameter: 1 declares 0..1 floats.',
          },
        },
      },
      inputs: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: {
          type: 'object',
          required: ['name', 'shape', 'datatype'],
          properties: {
            name: { const: INPUT_NAME },
            shape: {
              type: 'array',
              items: { type: 'integer', minimum: 0 },
              minItems: 1,
              maxItems: 3,
            },
            datatype: { enum: INPUT_DATATYPES },
            data: {
              type: 'array',
              description:
                'Row-major, flat or nested exactly as the shape; absent when parameters.binary_data_size is given.',
            },
            parameters: {
              type: 'object',
              properties: {
                binary_data_size: {
                  type: 'integer',
                  minimum: 0,
                  description: `Bytes of this tensor in the binary data after the JSON header (binary tensor data extension; the request then carries ${HEADER_LENGTH}).`,
                },
              },
            },
          },
        },
      },
      outputs: {
        type: 'array',
        maxItems: 1,
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { const: OUTPUT_NAME },
            parameters: {
              type: 'object',
              properties: {
                binary_data: {
                  type: 'boolean',
                  description: 'Send this output as binary tensor data.',
                },
                classification: {
                  type: 'integer',
                  minimum: 1,
                  description:
                    'Classification extension: the top k classes per image as BYTES [N, k], each "score:index:label", instead of FP32 [N, classes].',
                },
              },
            },
          },
        },
      },
    },
  },
  V2InferResponse: {
    type: 'object',
    required: ['model_name', 'model_version', 'outputs'],
    properties: {
      model_name: string,
      model_version: string,
      id: string,
      outputs: {
        type: 'array',
        items: {
          allOf: [
            ref('V2Tensor'),
            {
              properties: {
                name: { const: OUTPUT_NAME },
                datatype: { enum: ['FP32', 'BYTES'] },
                data: {
                  type: 'array',
                  items: { type: ['number', 'string'] },
                  description:
                    'FP32: N x classes probabilities, flat. BYTES (classification): N x k strings "score:index:label". Absent for binary data.',
                },
                parameters: {
                  type: 'object',
                  properties: {
                    binary_data_size: {
                      type: 'integer',
                      description: 'Bytes of this output after the JSON header.',
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  },
  V2ModelMetadata: {
    type: 'object',
    required: ['name', 'platform', 'inputs', 'outputs'],
    description: 'The input lists, in its parameters, every datatype and shape it accepts.',
    properties: {
      name: string,
      versions: { type: 'array', items: string },
      platform: string,
      inputs: { type: 'array', items: ref('V2Tensor') },
      outputs: { type: 'array', items: ref('V2Tensor') },
    },
  },
  V2ServerMetadata: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    properties: { name: string, version: string, extensions: { type: 'array', items: string } },
  },
});

const readiness = (description: string, properties: object) => ({
  200: json(description, { type: 'object', properties }),
  503: problem('A model failed to initialise; the detail says why.'),
});

const binaryBody = (what: string) => ({
  schema: {
    type: 'string',
    contentMediaType: 'application/octet-stream',
    description: `Binary tensor data extension: ${what}`,
  },
});

const binaryAnswer = {
  description: `Top classes or probabilities; as binary tensor data when asked for (the JSON header is ${HEADER_LENGTH} bytes long).`,
  headers: {
    'Server-Timing': { $ref: '#/components/headers/ServerTiming' },
    [HEADER_LENGTH]: {
      description: 'Only on binary answers: length of the JSON header that starts the body.',
      schema: { type: 'integer' },
    },
  },
  content: {
    'application/json': { schema: ref('V2InferResponse') },
    'application/octet-stream': binaryBody(
      "the V2InferResponse JSON header, then each binary output's bytes (FP32 little-endian; BYTES as 4-byte little-endian length + bytes per element).",
    ),
  },
};

const headerLengthParameter = {
  name: HEADER_LENGTH,
  in: 'header',
  description:
    "Marks a binary request: the length of its JSON header, after which come the inputs' binary data.",
  schema: { type: 'integer', minimum: 0 },
};

/** The v2 paths. */
export function v2Paths(): Record<string, object> {
  const versioned = [
    { path: '/v2/models/{name}', id: '', parameters: [modelName], note: '' },
    {
      path: '/v2/models/{name}/versions/{version}',
      id: 'ByVersion',
      parameters: [
        modelName,
        pathParameter(
          'version',
          'A version the model metadata lists; others get 404 naming them.',
          '1',
        ),
      ],
      note: ' of one version',
    },
  ];
  return {
    '/v2': {
      get: {
        operationId: 'v2ServerMetadata',
        security: publicAccess,
        summary: 'v2 server metadata, with the extensions implemented',
        responses: {
          200: json('Server metadata.', ref('V2ServerMetadata')),
          405: problemRef('MethodNotAllowed'),
        },
      },
    },
    '/v2/health/live': {
      get: {
        operationId: 'v2Live',
        security: publicAccess,
        summary: 'v2 liveness',
        responses: {
          200: json('{"live": true}', { type: 'object', properties: { live: { const: true } } }),
          405: problemRef('MethodNotAllowed'),
        },
      },
    },
    '/v2/health/ready': {
      get: {
        operationId: 'v2Ready',
        security: publicAccess,
        summary: 'v2 readiness: every model initialises',
        responses: {
          ...readiness('{"ready": true}', { ready: { const: true } }),
          405: problemRef('MethodNotAllowed'),
        },
      },
    },
    ...Object.fromEntries(
      versioned.flatMap(({ path, id, parameters, note }) => [
        [
          path,
          modelLookup(`v2ModelMetadata${id}`, `v2 model metadata${note}`, parameters, {
            200: json('Model metadata.', ref('V2ModelMetadata')),
          }),
        ],
        [
          `${path}/ready`,
          modelLookup(
            `v2ModelReady${id}`,
            `v2 model readiness${note}`,
            parameters,
            readiness('{"name": ..., "ready": true}', { name: string, ready: { const: true } }),
          ),
        ],
        [
          `${path}/infer`,
          {
            post: {
              operationId: `v2Infer${id}`,
              security: optionalToken,
              summary: `v2 inference${note}`,
              description: `The body is JSON whatever its Content-Type (Triton's clients send none or application/octet-stream), unless ${HEADER_LENGTH} marks a binary request.`,
              parameters: [...parameters, headerLengthParameter, pixelScaleQuery],
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: ref('V2InferRequest') },
                  'application/octet-stream': binaryBody(
                    `a V2InferRequest JSON header of ${HEADER_LENGTH} bytes, then the binary data of each input that declares binary_data_size (numeric elements little-endian; BYTES as 4-byte little-endian length + bytes per element).`,
                  ),
                },
              },
              responses: { 200: binaryAnswer, ...inferenceErrors },
            },
          },
        ],
      ]),
    ),
  };
}
