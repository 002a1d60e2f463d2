/**
 * Building blocks of the OpenAPI document (worker/openapi.ts) shared by its sections: references,
 * JSON bodies and answers, the problem answers and the security of public and inference operations.
 */
import { PIXEL_SCALE_PARAMETER } from './pixel-scale.ts';

/** A reference to a schema of the document. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A JSON answer. */
export const json = (description: string, schema: object) => ({
  description,
  content: { 'application/json': { schema } },
});
/** A required JSON request body. */
export const jsonBody = (schema: object) => ({
  required: true,
  content: { 'application/json': { schema } },
});
/** A reference to a shared (problem) answer. */
export const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
/** An answer that carries Server-Timing. */
export const timed = (response: { description: string; content: object }) => ({
  ...response,
  headers: { 'Server-Timing': { $ref: '#/components/headers/ServerTiming' } },
});
/** An array of exactly `length` items. */
export const array = (items: object, length: number) => ({
  type: 'array',
  items,
  minItems: length,
  maxItems: length,
});
export const string = { type: 'string' };

/** A path parameter. */
export const pathParameter = (name: string, description: string, example: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', examples: [example] },
});
export const modelName = pathParameter(
  'name',
  'Model name (or alias); unknown names get 404.',
  'fashion-mnist',
);

/** The pixel_scale query parameter of every route that takes numeric pixels. */
export const pixelScaleQuery = {
  name: PIXEL_SCALE_PARAMETER,
  in: 'query',
  description:
    'The value of full ink in numeric pixels: 255 (default, the Fashion-MNIST scale) or 1 for 0..1 floats, which are multiplied by 255. Without it, an image whose values all lie within 0..1 with some strictly between is refused with 400 (multiply by 255).',
  schema: { type: 'integer', enum: [1, 255], default: 255 },
};

/** Every error every inference route can answer with. */
export const inferenceErrors = {
  400: problemRef('BadRequest'),
  401: problemRef('Unauthorized'),
  404: problemRef('NotFound'),
  405: problemRef('MethodNotAllowed'),
  408: problemRef('RequestTimeout'),
  413: problemRef('ContentTooLarge'),
  422: problemRef('NoGarment'),
  429: problemRef('TooManyRequests'),
  500: problemRef('InternalError'),
  503: problemRef('ModelUnavailable'),
};

/** Errors of a public GET of a named resource: unknown model (or version), wrong method. */
export const lookupErrors = { 404: problemRef('NotFound'), 405: problemRef('MethodNotAllowed') };

/** A public GET of what a model (or one of its versions) answers: `responses`, or a lookup error. */
export const modelLookup = (
  operationId: string,
  summary: string,
  parameters: object[],
  responses: object,
) => ({
  get: {
    operationId,
    security: publicAccess,
    summary,
    parameters,
    responses: { ...responses, ...lookupErrors },
  },
});

/** Inference routes take a bearer token only when the Worker has an API_TOKEN secret: `{}` is "no credentials". */
export const optionalToken = [{}, { bearerToken: [] }];
/** Public operations need no credentials. */
export const publicAccess: never[] = [];

/** A problem answer. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
