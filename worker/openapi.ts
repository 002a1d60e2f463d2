/**
 * The OpenAPI 3.1 description served at /openapi.json. Limits and names come from the modules that
 * enforce them, so the document cannot drift from the behaviour on those points.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../classifier/architecture.ts';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_MAX_SOURCE_PIXELS,
} from './env.ts';
import { MAX_JSON_DEPTH } from './http/json.ts';
import {
  CLASSIFY_INCLUDES,
  CLASSIFY_MEDIA_TYPES,
  DEFAULT_TOP,
  MAX_TOP,
} from './routes/classify.ts';
import { MAX_BATCH } from './routes/inference-route.ts';
import {
  array,
  inferenceErrors,
  json,
  optionalToken,
  pixelScaleQuery,
  problem,
  problemRef,
  publicAccess,
  ref,
  string,
  timed,
} from './protocol/openapi-parts.ts';
import { runtimePath, runtimeStatusSchema } from './openapi-runtime.ts';
import { tfPaths, tfSchemas } from './protocol/openapi-tf.ts';
import { v2Paths, v2Schemas } from './protocol/openapi-v2.ts';

/** Version of the HTTP API (this document), also reported as the v2 server version. */
export const API_VERSION = '1.0.0';

/** What happens to an image body of media type `type`. */
const imageDescription = (type: string): string =>
  (['image/png', 'image/jpeg', 'image/webp'].includes(type)
    ? 'Decoded by the Worker at reduced scale (JPEG up to 25 MP, PNG and WebP up to their cost caps; larger ones through the Images binding when bound).'
    : 'Decoded only through the optional Cloudflare Images binding ([images] binding = "IMAGES"); without it, 415.') +
  ' Turned upright by its EXIF orientation and converted to a 28x28 Fashion-MNIST-style image; 422 when no garment is found in it.';

const batchNote = `At most ${MAX_BATCH} images per request, all run as one batch; a larger batch is refused with 413 (split it), an empty one with 400.`;

const schemas = {
  RuntimeStatus: runtimeStatusSchema,
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details.',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: string,
      title: string,
      status: { type: 'integer' },
      detail: { ...string, description: 'What exactly was wrong, naming the offending field.' },
      error: {
        ...string,
        description:
          'On /v1/models/* and /v2/* only: the detail again, where TF Serving and Open Inference Protocol clients read the message.',
      },
    },
  },
  Pixel: {
    type: 'number',
    minimum: 0,
    maximum: 255,
    description: 'Pixel value on the Fashion-MNIST scale: 0 = background, 255 = full ink.',
  },
  Image: {
    description: `One ${IMAGE_SIZE}x${IMAGE_SIZE} grayscale image: ${PIXELS_PER_IMAGE} numbers row-major, or ${IMAGE_SIZE} rows of ${IMAGE_SIZE}.`,
    oneOf: [
      array(ref('Pixel'), PIXELS_PER_IMAGE),
      array(array(ref('Pixel'), IMAGE_SIZE), IMAGE_SIZE),
    ],
  },
  EncodedImage: {
    type: 'object',
    required: ['b64'],
    properties: {
      b64: {
        ...string,
        contentEncoding: 'base64',
        description:
          'A PNG, JPEG or WebP file (AVIF, HEIC, GIF, TIFF with the Images binding; type sniffed), any size within the limits; scaled to 28x28 like Fashion-MNIST.',
      },
    },
  },
  ClassifyJson: { type: 'object', required: ['pixels'], properties: { pixels: ref('Image') } },
  Classification: {
    type: 'object',
    required: ['predictions', 'model'],
    properties: {
      predictions: {
        type: 'array',
        description: 'Most probable classes first.',
        items: {
          type: 'object',
          required: ['label', 'index', 'score'],
          properties: {
            label: { ...string, examples: ['Ankle boot'] },
            index: { type: 'integer', minimum: 0 },
            score: { type: 'number', minimum: 0, maximum: 1 },
          },
        },
      },
      model: {
        type: 'object',
        required: ['name', 'version', 'sha256'],
        properties: {
          name: string,
          version: string,
          sha256: { ...string, description: 'SHA-256 of the model asset, hex.' },
        },
      },
      input: {
        ...string,
        pattern: '^data:image/png;base64,',
        description: `Only with include=input: the ${IMAGE_SIZE}x${IMAGE_SIZE} pixels the model classified, after any decoding and Fashion-MNIST-style conversion, as a data URL of an 8-bit grayscale PNG (0 = background, black; fractional JSON pixels rounded). Usable as an <img> src.`,
      },
    },
  },
  ...tfSchemas(batchNote, MAX_BATCH),
  ...v2Schemas(batchNote),
};

/** The OpenAPI 3.1 document of this Worker's HTTP API. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Fashion-MNIST classifier',
    version: API_VERSION,
    license: { name: 'MIT', identifier: 'MIT' },
    description: `Classifies 28x28 grayscale clothing images into the 10 Fashion-MNIST classes. Pixels are 0..255 with 0 = background, as in the data set. Bodies are limited to MAX_BODY_BYTES (default ${DEFAULT_MAX_BODY_BYTES} bytes), images to MAX_SOURCE_PIXELS as stored (default ${DEFAULT_MAX_SOURCE_PIXELS}: a 24 MP photo) and MAX_IMAGE_PIXELS after the decoders' scaling (default ${DEFAULT_MAX_IMAGE_PIXELS}), both for all images of a request together, JSON to ${MAX_JSON_DEPTH} levels of nesting. Content-Type parameters and case are ignored; the TF Serving and v2 routes read JSON whatever the Content-Type and answer uncompressed (Cache-Control: no-transform). Errors are application/problem+json (RFC 9457); a wrong method gets 405 with an Allow header.`,
  },
  servers: [{ url: '/', description: 'The Worker that served this document' }],
  paths: {
    '/v1/classify': {
      post: {
        operationId: 'classify',
        security: optionalToken,
        summary: 'Classify one image',
        parameters: [
          {
            name: 'top',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: MAX_TOP, default: DEFAULT_TOP },
            description: 'How many classes to return.',
          },
          {
            name: 'model',
            in: 'query',
            schema: { type: 'string', default: 'fashion-mnist' },
            description: 'Model to use; unknown names get 404.',
          },
          {
            name: 'include',
            in: 'query',
            schema: { type: 'string', examples: CLASSIFY_INCLUDES },
            description: `Extra fields of the answer, comma-separated: ${CLASSIFY_INCLUDES.join(', ')}. "input" adds the 28x28 image the model saw. Other values get 400.`,
          },
          pixelScaleQuery,
        ],
        requestBody: {
          required: true,
          content: Object.fromEntries(
            CLASSIFY_MEDIA_TYPES.map((type) => [
              type,
              type === 'application/json'
                ? { schema: ref('ClassifyJson') }
                : type === 'application/octet-stream'
                  ? {
                      schema: {
                        type: 'string',
                        contentMediaType: type,
                        description: `Exactly ${PIXELS_PER_IMAGE} bytes, row-major, 0 = background.`,
                      },
                    }
                  : {
                      schema: {
                        type: 'string',
                        contentMediaType: type,
                        description: imageDescription(type),
                      },
                    },
            ]),
          ),
        },
        responses: {
          200: timed(json('Top classes, most probable first.', ref('Classification'))),
          ...inferenceErrors,
          415: problemRef('UnsupportedMediaType'),
        },
      },
    },
    ...tfPaths(),
    ...v2Paths(),
    '/client.js': {
      get: {
        operationId: 'browserClient',
        security: publicAccess,
        summary:
          'Browser helper: an ES module exporting classify(input, options), which shrinks a photo in the browser and posts it to /v1/classify',
        responses: {
          200: {
            description:
              'The module; cacheable (Cache-Control, ETag) and loadable from any origin.',
            content: { 'text/javascript': { schema: string } },
          },
          304: { description: 'Not modified (If-None-Match matched the ETag).' },
          405: problemRef('MethodNotAllowed'),
        },
      },
    },
    '/v1/runtime': runtimePath,
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        security: publicAccess,
        summary: 'This document',
        responses: {
          200: json('OpenAPI 3.1 document.', { type: 'object' }),
          405: problemRef('MethodNotAllowed'),
        },
      },
    },
  },
  components: {
    schemas,
    headers: {
      ServerTiming: {
        description:
          'Phases of this request: read, decode, infer, total (ms). Exposed to CORS callers.',
        schema: string,
      },
    },
    securitySchemes: {
      bearerToken: {
        type: 'http',
        scheme: 'bearer',
        description:
          'Required on the POST endpoints only when the Worker has an API_TOKEN secret (`wrangler secret put API_TOKEN`); without it the API is open.',
      },
    },
    responses: {
      BadRequest: problem(
        'Malformed request, undecodable content, or a body that ended before its Content-Length; the detail names the problem.',
      ),
      Unauthorized: problem(
        'API_TOKEN is set and the request has no valid `Authorization: Bearer <token>`; comes with `WWW-Authenticate: Bearer`.',
      ),
      NotFound: problem(
        'No such route, model, version or version label; the detail names the ones there are.',
      ),
      MethodNotAllowed: problem(
        'The path exists but not with this method; the `Allow` header lists the methods it has.',
      ),
      RequestTimeout: problem(
        'The upload sent no bytes for BODY_STALL_MS (default 5 s); the connection is closed.',
      ),
      ContentTooLarge: problem(
        `Body over MAX_BODY_BYTES; images over MAX_SOURCE_PIXELS or MAX_IMAGE_PIXELS (all encoded images of a request together) or over a decoder's cost caps (scans, chunks, decompressed bytes), judged from the headers before decoding; or more than ${MAX_BATCH} images.`,
      ),
      UnsupportedMediaType: problem(
        'Content-Type missing or not accepted by this route, bytes that are not the declared type, or an image format that needs the Images binding this Worker is deployed without (the detail names the option).',
      ),
      NoGarment: problem(
        'The photo shows no garment (blank, uniform or noise only); the detail says what was measured: background level, noise, and the threshold no region passed.',
      ),
      TooManyRequests: problem(
        'The instance is already receiving as many bytes of uploads as it buffers at once; retry after the `Retry-After` seconds.',
      ),
      InternalError: problem('A bug; details are logged, never returned.'),
      ModelUnavailable: problem(
        'The model failed to initialise (it is retried on the next request); the detail says what failed.',
      ),
    },
  },
};
