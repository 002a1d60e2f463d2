/**
 * The OpenAPI 3.1 description served at /openapi.json. Limits and names come from the modules that
 * enforce them, so the document cannot drift from the behaviour on those points.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../classifier/architecture.ts';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_SOURCE_PIXELS } from './env.ts';
import { MAX_JSON_DEPTH } from './http/json.ts';
import { CLASSIFY_INCLUDES, CLASSIFY_MEDIA_TYPES, DEFAULT_TOP, MAX_TOP } from './routes/classify.ts';
import { INPUT_NAME, MAX_BATCH, OUTPUT_NAME } from './routes/inference-route.ts';

/** Version of the HTTP API (this document), also reported as the v2 server version. */
export const API_VERSION = '1.0.0';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const jsonBody = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const timed = (response: ReturnType<typeof json>) => ({ ...response, headers: { 'Server-Timing': { $ref: '#/components/headers/ServerTiming' } } });

const array = (items: object, length: number) => ({ type: 'array', items, minItems: length, maxItems: length });
const string = { type: 'string' };
const modelName = { name: 'name', in: 'path', required: true, schema: { type: 'string', examples: ['fashion-mnist'] } };
const unknownModel = problemRef('NotFound');

/** Every error every inference route can answer with. */
const inferenceErrors = {
  400: problemRef('BadRequest'),
  401: problemRef('Unauthorized'),
  404: unknownModel,
  408: problemRef('RequestTimeout'),
  413: problemRef('ContentTooLarge'),
  415: problemRef('UnsupportedMediaType'),
  422: problemRef('NoGarment'),
  429: problemRef('TooManyRequests'),
  500: problemRef('InternalError'),
  503: problemRef('ModelUnavailable'),
};

/** Inference routes take a bearer token only when the Worker has an API_TOKEN secret: `{}` is "no credentials". */
const optionalToken = [{}, { bearerToken: [] }];

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

/** What happens to an image body of media type `type`. */
const imageDescription = (type: string): string =>
  (['image/png', 'image/jpeg', 'image/webp'].includes(type)
    ? 'Decoded by the Worker at reduced scale (JPEG up to 25 MP, PNG and WebP up to their cost caps; larger ones through the Images binding when bound).'
    : 'Decoded only through the optional Cloudflare Images binding ([images] binding = "IMAGES"); without it, 415.') +
  ' Turned upright by its EXIF orientation and converted to a 28x28 Fashion-MNIST-style image; 422 when no garment is found in it.';

const batchNote = `At most ${MAX_BATCH} images per request, all run as one batch; a larger batch is refused with 413 (split it), an empty one with 400.`;

const schemas = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details.',
    required: ['type', 'title', 'status', 'detail'],
    properties: { type: string, title: string, status: { type: 'integer' }, detail: { ...string, description: 'What exactly was wrong, naming the offending field.' } },
  },
  Pixel: { type: 'number', minimum: 0, maximum: 255, description: 'Pixel value on the Fashion-MNIST scale: 0 = background, 255 = full ink.' },
  Image: {
    description: `One ${IMAGE_SIZE}x${IMAGE_SIZE} grayscale image: ${PIXELS_PER_IMAGE} numbers row-major, or ${IMAGE_SIZE} rows of ${IMAGE_SIZE}.`,
    oneOf: [array(ref('Pixel'), PIXELS_PER_IMAGE), array(array(ref('Pixel'), IMAGE_SIZE), IMAGE_SIZE)],
  },
  EncodedImage: {
    type: 'object',
    required: ['b64'],
    properties: { b64: { ...string, contentEncoding: 'base64', description: 'A PNG, JPEG or WebP file (AVIF, HEIC, GIF, TIFF with the Images binding; type sniffed), any size within the limits; scaled to 28x28 like Fashion-MNIST.' } },
  },
  ClassifyJson: { type: 'object', required: ['pixels'], properties: { pixels: ref('Image') } },
  Classification: {
    type: 'object',
    required: ['predictions', 'model'],
    properties: {
      predictions: {
        type: 'array',
        description: 'Most probable classes first.',
        items: { type: 'object', required: ['label', 'index', 'score'], properties: { label: { ...string, examples: ['Ankle boot'] }, index: { type: 'integer', minimum: 0 }, score: { type: 'number', minimum: 0, maximum: 1 } } },
      },
      model: { type: 'object', required: ['name', 'version', 'sha256'], properties: { name: string, version: string, sha256: { ...string, description: 'SHA-256 of the model asset, hex.' } } },
      input: {
        ...string,
        pattern: '^data:image/png;base64,',
        description: `Only with include=input: the ${IMAGE_SIZE}x${IMAGE_SIZE} pixels the model classified, after any decoding and Fashion-MNIST-style conversion, as a data URL of an 8-bit grayscale PNG (0 = background, black; fractional JSON pixels rounded). Usable as an <img> src.`,
      },
    },
  },
  TfInstance: {
    description: `An image, a {"b64": ...} encoded image, or either of them under the input's name ("${INPUT_NAME}").`,
    oneOf: [ref('Image'), ref('EncodedImage'), { type: 'object', required: [INPUT_NAME], properties: { [INPUT_NAME]: { oneOf: [ref('Image'), ref('EncodedImage')] } } }],
  },
  TfPredictRequest: {
    description: `Row format ("instances") or columnar format ("inputs": the batch itself, or {"${INPUT_NAME}": batch}); exactly one of them. ${batchNote}`,
    type: 'object',
    properties: {
      signature_name: { const: 'serving_default' },
      instances: { type: 'array', items: ref('TfInstance'), minItems: 1, maxItems: MAX_BATCH },
      inputs: { oneOf: [{ type: 'array', items: { oneOf: [ref('Image'), ref('EncodedImage')] } }, { type: 'object', required: [INPUT_NAME] }] },
    },
    oneOf: [{ required: ['instances'] }, { required: ['inputs'] }],
  },
  TfPredictResponse: {
    type: 'object',
    required: ['predictions'],
    description: 'One row of class probabilities per instance, in label order (for both request formats).',
    properties: { predictions: { type: 'array', items: { type: 'array', items: { type: 'number' } } } },
  },
  TfModelStatus: {
    type: 'object',
    properties: {
      model_version_status: {
        type: 'array',
        items: { type: 'object', properties: { version: string, state: { ...string, examples: ['AVAILABLE'] }, status: { type: 'object', properties: { error_code: string, error_message: string } } } },
      },
    },
  },
  TfModelMetadata: {
    type: 'object',
    description: 'model_spec and the serving_default SignatureDef: input "images" DT_FLOAT [-1,28,28], output "probabilities" DT_FLOAT [-1,classes].',
    properties: { model_spec: { type: 'object' }, metadata: { type: 'object', properties: { signature_def: { type: 'object' } } } },
  },
  V2Tensor: { type: 'object', required: ['name', 'datatype', 'shape'], properties: { name: string, datatype: string, shape: { type: 'array', items: { type: 'integer' } } } },
  V2InferRequest: {
    type: 'object',
    required: ['inputs'],
    description: `One input named "${INPUT_NAME}" with shape [N, ${IMAGE_SIZE}, ${IMAGE_SIZE}] or [N, ${PIXELS_PER_IMAGE}]. FP32 values use the same 0..255 pixel scale as UINT8 (not 0..1); UINT8 values must be integers. ${batchNote}`,
    properties: {
      id: { ...string, description: 'Echoed in the response.' },
      inputs: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { const: INPUT_NAME },
            shape: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 3 },
            datatype: { enum: ['UINT8', 'FP32'] },
            data: { type: 'array', description: 'Row-major, flat or nested exactly as the shape.', items: { oneOf: [ref('Pixel'), { type: 'array' }] } },
          },
        },
      },
      outputs: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { const: OUTPUT_NAME } } } },
    },
  },
  V2InferResponse: {
    type: 'object',
    required: ['model_name', 'outputs'],
    properties: {
      model_name: string,
      model_version: string,
      id: string,
      outputs: { type: 'array', items: { allOf: [ref('V2Tensor'), { properties: { name: { const: OUTPUT_NAME }, datatype: { const: 'FP32' }, data: { type: 'array', items: { type: 'number' }, description: 'N x classes probabilities, flat.' } } }] } },
    },
  },
  V2ModelMetadata: {
    type: 'object',
    required: ['name', 'platform', 'inputs', 'outputs'],
    properties: { name: string, versions: { type: 'array', items: string }, platform: string, inputs: { type: 'array', items: ref('V2Tensor') }, outputs: { type: 'array', items: ref('V2Tensor') } },
  },
  V2ServerMetadata: { type: 'object', required: ['name', 'version', 'extensions'], properties: { name: string, version: string, extensions: { type: 'array', items: string } } },
};

const readiness = (description: string, properties: object) => ({
  200: json(description, { type: 'object', properties }),
  503: problem('A model failed to initialise; the detail says why.'),
});

/** The OpenAPI 3.1 document of this Worker's HTTP API. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Fashion-MNIST classifier',
    version: API_VERSION,
    description: `Classifies 28x28 grayscale clothing images into the 10 Fashion-MNIST classes. Pixels are 0..255 with 0 = background, as in the data set. Bodies are limited to MAX_BODY_BYTES (default ${DEFAULT_MAX_BODY_BYTES} bytes), images to MAX_SOURCE_PIXELS as stored (default ${DEFAULT_MAX_SOURCE_PIXELS}: a 24 MP photo) and MAX_IMAGE_PIXELS after the decoders' scaling (default ${DEFAULT_MAX_IMAGE_PIXELS}), both for all images of a request together, JSON to ${MAX_JSON_DEPTH} levels of nesting. Content-Type parameters and case are ignored. Errors are application/problem+json (RFC 9457); a wrong method gets 405 with an Allow header.`,
  },
  paths: {
    '/v1/classify': {
      post: {
        security: optionalToken,
        summary: 'Classify one image',
        parameters: [
          { name: 'top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_TOP, default: DEFAULT_TOP }, description: 'How many classes to return.' },
          { name: 'model', in: 'query', schema: { type: 'string', default: 'fashion-mnist' }, description: 'Model to use; unknown names get 404.' },
          {
            name: 'include',
            in: 'query',
            schema: { type: 'string', examples: CLASSIFY_INCLUDES },
            description: `Extra fields of the answer, comma-separated: ${CLASSIFY_INCLUDES.join(', ')}. "input" adds the 28x28 image the model saw. Other values get 400.`,
          },
        ],
        requestBody: {
          required: true,
          content: Object.fromEntries(
            CLASSIFY_MEDIA_TYPES.map((type) => [
              type,
              type === 'application/json'
                ? { schema: ref('ClassifyJson') }
                : type === 'application/octet-stream'
                  ? { schema: { type: 'string', contentMediaType: type, description: `Exactly ${PIXELS_PER_IMAGE} bytes, row-major, 0 = background.` } }
                  : { schema: { type: 'string', contentMediaType: type, description: imageDescription(type) } },
            ]),
          ),
        },
        responses: { 200: timed(json('Top classes, most probable first.', ref('Classification'))), ...inferenceErrors },
      },
    },
    '/v1/models/{name}': {
      get: { summary: 'TF Serving model status', parameters: [modelName], responses: { 200: json('Model status.', ref('TfModelStatus')), 404: unknownModel } },
    },
    '/v1/models/{name}/metadata': {
      get: { summary: 'TF Serving model metadata', parameters: [modelName], responses: { 200: json('Signature of the model.', ref('TfModelMetadata')), 404: unknownModel } },
    },
    '/v1/models/{name}:predict': {
      post: {
        security: optionalToken,
        summary: 'TF Serving predict',
        parameters: [modelName],
        requestBody: jsonBody(ref('TfPredictRequest')),
        responses: { 200: timed(json('Probabilities per instance.', ref('TfPredictResponse'))), ...inferenceErrors },
      },
    },
    '/v2': { get: { summary: 'v2 server metadata', responses: { 200: json('Server metadata.', ref('V2ServerMetadata')) } } },
    '/v2/health/live': { get: { summary: 'v2 liveness', responses: { 200: json('{"live": true}', { type: 'object', properties: { live: { const: true } } }) } } },
    '/v2/health/ready': { get: { summary: 'v2 readiness: every model initialises', responses: readiness('{"ready": true}', { ready: { const: true } }) } },
    '/v2/models/{name}': {
      get: { summary: 'v2 model metadata', parameters: [modelName], responses: { 200: json('Model metadata.', ref('V2ModelMetadata')), 404: unknownModel } },
    },
    '/v2/models/{name}/ready': {
      get: { summary: 'v2 model readiness', parameters: [modelName], responses: { ...readiness('{"name": ..., "ready": true}', { name: string, ready: { const: true } }), 404: unknownModel } },
    },
    '/v2/models/{name}/infer': {
      post: {
        security: optionalToken,
        summary: 'v2 inference',
        parameters: [modelName],
        requestBody: jsonBody(ref('V2InferRequest')),
        responses: { 200: timed(json('Probabilities, N x classes.', ref('V2InferResponse'))), ...inferenceErrors },
      },
    },
    '/client.js': {
      get: {
        summary: 'Browser helper: an ES module exporting classify(input, options), which shrinks a photo in the browser and posts it to /v1/classify',
        responses: {
          200: { description: 'The module; cacheable (Cache-Control, ETag) and loadable from any origin.', content: { 'text/javascript': { schema: string } } },
          304: { description: 'Not modified (If-None-Match matched the ETag).' },
        },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: json('OpenAPI 3.1 document.', { type: 'object' }) } } },
  },
  components: {
    schemas,
    headers: {
      ServerTiming: { description: 'Phases of this request: read, decode, infer, total (ms). Exposed to CORS callers.', schema: string },
    },
    securitySchemes: {
      bearerToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'Required on the POST endpoints only when the Worker has an API_TOKEN secret (`wrangler secret put API_TOKEN`); without it the API is open.',
      },
    },
    responses: {
      BadRequest: problem('Malformed request, undecodable content, or a body that ended before its Content-Length; the detail names the problem.'),
      Unauthorized: problem('API_TOKEN is set and the request has no valid `Authorization: Bearer <token>`; comes with `WWW-Authenticate: Bearer`.'),
      NotFound: problem('No such route or model.'),
      RequestTimeout: problem('The upload sent no bytes for BODY_STALL_MS (default 5 s); the connection is closed.'),
      ContentTooLarge: problem(`Body over MAX_BODY_BYTES; images over MAX_SOURCE_PIXELS or MAX_IMAGE_PIXELS (all encoded images of a request together) or over a decoder's cost caps (scans, chunks, decompressed bytes), judged from the headers before decoding; or more than ${MAX_BATCH} images.`),
      UnsupportedMediaType: problem('Content-Type missing or not accepted by this route, bytes that are not the declared type, or an image format that needs the Images binding this Worker is deployed without (the detail names the option).'),
      NoGarment: problem('The photo shows no garment (blank, uniform or noise only); the detail says what was measured: background level, noise, and the threshold no region passed.'),
      TooManyRequests: problem('The instance is already receiving as many bytes of uploads as it buffers at once; retry after the `Retry-After` seconds.'),
      InternalError: problem('A bug; details are logged, never returned.'),
      ModelUnavailable: problem('The model failed to initialise (it is retried on the next request); the detail says what failed.'),
    },
  },
};
