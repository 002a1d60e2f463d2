/**
 * The TF Serving REST section of the OpenAPI document: status, metadata, :predict and :classify,
 * unversioned and under /versions/{version} and /labels/{label}.
 */
import { INPUT_NAME } from '../routes/inference-route.ts';
import {
  inferenceErrors,
  jsonBody,
  json,
  modelLookup,
  modelName,
  optionalToken,
  pathParameter,
  pixelScaleQuery,
  ref,
  string,
  timed,
} from './openapi-parts.ts';
import { SIGNATURE } from './tf-request.ts';
import { VERSION_LABELS } from './versions.ts';

const imageOrFile = { oneOf: [ref('Image'), ref('EncodedImage')] };

/** Schemas of the TF Serving section; `batchNote` says how large a batch may be. */
export const tfSchemas = (batchNote: string, maxBatch: number) => ({
  TfInstance: {
    description: `An image, a {"b64": ...} encoded image, or either of them under the input's name ("${INPUT_NAME}").`,
    oneOf: [ref('Image'), ref('EncodedImage'), ref('TfNamedImage')],
  },
  TfNamedImage: {
    type: 'object',
    required: [INPUT_NAME],
    properties: { [INPUT_NAME]: imageOrFile },
  },
  TfPredictRequest: {
    description: `Row format ("instances") or columnar format ("inputs": the batch itself, or {"${INPUT_NAME}": batch}); exactly one of them. ${batchNote}`,
    type: 'object',
    properties: {
      signature_name: { const: SIGNATURE },
      instances: { type: 'array', items: ref('TfInstance'), minItems: 1, maxItems: maxBatch },
      inputs: {
        oneOf: [
          { type: 'array', items: imageOrFile, minItems: 1, maxItems: maxBatch },
          {
            type: 'object',
            required: [INPUT_NAME],
            properties: { [INPUT_NAME]: { type: 'array', items: imageOrFile } },
          },
        ],
      },
    },
    oneOf: [{ required: ['instances'] }, { required: ['inputs'] }],
  },
  TfPredictResponse: {
    type: 'object',
    description:
      'One row of class probabilities per image, in label order: "predictions" for a row-format request, "outputs" for a columnar one.',
    properties: {
      predictions: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      outputs: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    },
    oneOf: [{ required: ['predictions'] }, { required: ['outputs'] }],
  },
  TfClassifyRequest: {
    description: `"examples" (each {"${INPUT_NAME}": image}) or "instances" (as :predict takes them); exactly one of them. ${batchNote}`,
    type: 'object',
    properties: {
      signature_name: { const: SIGNATURE },
      examples: { type: 'array', items: ref('TfNamedImage'), minItems: 1, maxItems: maxBatch },
      instances: { type: 'array', items: ref('TfInstance'), minItems: 1, maxItems: maxBatch },
    },
    oneOf: [{ required: ['examples'] }, { required: ['instances'] }],
  },
  TfClassifyResponse: {
    type: 'object',
    required: ['result'],
    properties: {
      result: {
        type: 'array',
        description: 'Per image, its classes most probable first, each as [label, score].',
        items: {
          type: 'array',
          items: {
            type: 'array',
            prefixItems: [
              { ...string, examples: ['Ankle boot'] },
              { type: 'number', minimum: 0, maximum: 1 },
            ],
            minItems: 2,
            maxItems: 2,
          },
        },
      },
    },
  },
  TfModelStatus: {
    type: 'object',
    properties: {
      model_version_status: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: string,
            state: { ...string, examples: ['AVAILABLE'] },
            status: { type: 'object', properties: { error_code: string, error_message: string } },
          },
        },
      },
    },
  },
  TfModelMetadata: {
    type: 'object',
    description: `model_spec and the ${SIGNATURE} SignatureDef: input "${INPUT_NAME}" DT_FLOAT [-1,28,28], output "probabilities" DT_FLOAT [-1,classes].`,
    properties: {
      model_spec: { type: 'object' },
      metadata: { type: 'object', properties: { signature_def: { type: 'object' } } },
    },
  },
});

/** How a path selects the version, as path prefix, operationId suffix and parameters. */
const SELECTORS = [
  { path: '/v1/models/{name}', id: '', parameters: [modelName], note: '' },
  {
    path: '/v1/models/{name}/versions/{version}',
    id: 'ByVersion',
    parameters: [
      modelName,
      pathParameter(
        'version',
        'A version the status answer lists; others get 404 naming them.',
        '1',
      ),
    ],
    note: ' of one version',
  },
  {
    path: '/v1/models/{name}/labels/{label}',
    id: 'ByLabel',
    parameters: [
      modelName,
      pathParameter(
        'label',
        `A version label: ${VERSION_LABELS.join(', ')}; others get 404 naming them.`,
        VERSION_LABELS[0],
      ),
    ],
    note: ' of a labelled version',
  },
];

const topQuery = {
  name: 'top',
  in: 'query',
  description: 'How many classes per image (default: all).',
  schema: { type: 'integer', minimum: 1, maximum: 10 },
};
const anyContentType =
  'Read as JSON whatever the Content-Type (none, application/json, text/plain, form-urlencoded...), as TF Serving reads it.';

/** The TF Serving paths. */
export function tfPaths(): Record<string, object> {
  return Object.fromEntries(
    SELECTORS.flatMap(({ path, id, parameters, note }) => [
      [
        path,
        modelLookup(`tfModelStatus${id}`, `TF Serving model status${note}`, parameters, {
          200: json('Model status.', ref('TfModelStatus')),
        }),
      ],
      [
        `${path}/metadata`,
        modelLookup(`tfModelMetadata${id}`, `TF Serving model metadata${note}`, parameters, {
          200: json('Signature of the model.', ref('TfModelMetadata')),
        }),
      ],
      [
        `${path}:predict`,
        {
          post: {
            operationId: `tfPredict${id}`,
            security: optionalToken,
            summary: `TF Serving predict${note}`,
            description: anyContentType,
            parameters: [...parameters, pixelScaleQuery],
            requestBody: jsonBody(ref('TfPredictRequest')),
            responses: {
              200: timed(json('Probabilities per image.', ref('TfPredictResponse'))),
              ...inferenceErrors,
            },
          },
        },
      ],
      [
        `${path}:classify`,
        {
          post: {
            operationId: `tfClassify${id}`,
            security: optionalToken,
            summary: `TF Serving classify${note}: labelled classes, most probable first`,
            description: anyContentType,
            parameters: [...parameters, topQuery, pixelScaleQuery],
            requestBody: jsonBody(ref('TfClassifyRequest')),
            responses: {
              200: timed(json('Labelled scores per image.', ref('TfClassifyResponse'))),
              ...inferenceErrors,
            },
          },
        },
      ],
    ]),
  );
}
