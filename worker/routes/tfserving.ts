/**
 * The TensorFlow Serving REST API (https://www.tensorflow.org/tfx/serving/api_rest): model status,
 * model metadata, predict and classify, unversioned and under `/versions/{v}` or `/labels/{l}`, so
 * clients and tools written for TF Serving work unchanged. Bodies are JSON whatever their
 * Content-Type, as TF Serving reads them (its own doc example posts with curl's form-urlencoded default).
 */
import { Hono, type Context } from 'hono';
import { IMAGE_SIZE } from '../../classifier/architecture.ts';
import type { AppEnv } from '../env.ts';
import { parseJson } from '../http/json.ts';
import { measureAsync } from '../http/timing.ts';
import { loadImageDecoders } from '../image/index.ts';
import type { ServedModel } from '../inference/models.ts';
import { parsePixelScale, PIXEL_SCALE_PARAMETER } from '../protocol/pixel-scale.ts';
import { decodeTfBatch, SIGNATURE, type TfFormat } from '../protocol/tf-request.ts';
import { topPredictionsPerImage } from '../protocol/top-classes.ts';
import { requireLabel, requireVersion } from '../protocol/versions.ts';
import { parseTop } from './classify.ts';
import {
  batchBuffer,
  imageOptionsOf,
  infer,
  INPUT_NAME,
  OUTPUT_NAME,
  readRequestBody,
  requireModel,
} from './inference-route.ts';

// Hono reads ':' as the start of a parameter, so `{name}:predict` cannot be written as a pattern;
// a regexp parameter (`spec`) matches the whole last segment and the verb is cut off in the handler.
const MODEL = '/v1/models/:name{[^/:]+}';
const SEGMENT = '[^/:]+';

/** How a path picks the model's version: not at all, by number, or by label. */
type Selector = 'none' | 'version' | 'label';
const SELECTORS: readonly Selector[] = ['none', 'version', 'label'];

/** The path of a GET resource (`suffix` '' or '/metadata') for `selector`. */
const resourcePath = (selector: Selector, suffix: string): string =>
  ({
    none: MODEL,
    version: `${MODEL}/versions/:version{${SEGMENT}}`,
    label: `${MODEL}/labels/:label{${SEGMENT}}`,
  })[selector] + suffix;

/** The path of a verb (`:predict`, `:classify`) for `selector`; its last segment is the `spec` parameter. */
const verbPath = (selector: Selector, verb: string): string => {
  const spec = `:spec{${SEGMENT}${verb}}`;
  return {
    none: `/v1/models/${spec}`,
    version: `${MODEL}/versions/${spec}`,
    label: `${MODEL}/labels/${spec}`,
  }[selector];
};

/** The model (and version) a path names; 404 for an unknown model, version or label. */
async function targetModel(
  c: Context<AppEnv>,
  selector: Selector,
  verb = '',
): Promise<ServedModel> {
  const params = c.req.param() as Record<string, string | undefined>;
  const spec = params.spec?.slice(0, -verb.length);
  const model = await requireModel(selector === 'none' ? (spec ?? params.name) : params.name);
  if (selector === 'label') return requireLabel(model, (spec ?? params.label)!);
  return requireVersion(model, selector === 'version' ? (spec ?? params.version) : undefined);
}

/** A TensorInfo of the signature: float32, batch dimension first. */
function tensorInfo(name: string, dims: number[]) {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: {
      dim: [-1, ...dims].map((size) => ({ size: String(size), name: '' })),
      unknown_rank: false,
    },
    name: `${name}:0`,
  };
}

/** Probabilities for the request's batch, read in one of `formats`. */
async function runBatch(c: Context<AppEnv>, model: ServedModel, formats: readonly TfFormat[]) {
  const scale = parsePixelScale(c.req.query(PIXEL_SCALE_PARAMETER), 'query parameter');
  const body = await readRequestBody(c);
  await loadImageDecoders(); // any instance may be a base64 image
  const decoding = { inputName: INPUT_NAME, batch: batchBuffer, images: imageOptionsOf(c), scale };
  const { format, pixels } = await measureAsync(
    c,
    'decode',
    decodeTfBatch(parseJson(body), formats, decoding),
  );
  return { format, probabilities: infer(c, model, pixels) };
}

/** Routes of the TF Serving API. */
export const tfServing = new Hono<AppEnv>();

for (const selector of SELECTORS) {
  tfServing.get(resourcePath(selector, ''), async (c) => {
    const model = await targetModel(c, selector);
    return c.json({
      model_version_status: [
        {
          version: model.version,
          state: 'AVAILABLE',
          status: { error_code: 'OK', error_message: '' },
        },
      ],
    });
  });

  tfServing.get(resourcePath(selector, '/metadata'), async (c) => {
    const model = await targetModel(c, selector);
    const signature = {
      inputs: { [INPUT_NAME]: tensorInfo(INPUT_NAME, [IMAGE_SIZE, IMAGE_SIZE]) },
      outputs: { [OUTPUT_NAME]: tensorInfo(OUTPUT_NAME, [model.labels.length]) },
      method_name: 'tensorflow/serving/predict',
    };
    return c.json({
      model_spec: { name: model.name, signature_name: '', version: model.version },
      metadata: { signature_def: { signature_def: { [SIGNATURE]: signature } } },
    });
  });

  tfServing.post(verbPath(selector, ':predict'), async (c) => {
    const model = await targetModel(c, selector, ':predict');
    const { format, probabilities } = await runBatch(c, model, ['instances', 'inputs']);
    const classes = model.labels.length;
    const rows = Array.from({ length: probabilities.length / classes }, (_, i) =>
      Array.from(probabilities.subarray(i * classes, (i + 1) * classes)),
    );
    // The row format is answered in rows ("predictions"), the columnar one in columns ("outputs").
    return c.json(format === 'instances' ? { predictions: rows } : { outputs: rows });
  });

  tfServing.post(verbPath(selector, ':classify'), async (c) => {
    const model = await targetModel(c, selector, ':classify');
    const top = parseTop(c.req.query('top'), model.labels.length);
    const { probabilities } = await runBatch(c, model, ['examples', 'instances']);
    const result = topPredictionsPerImage(probabilities, model.labels, top).map((classes) =>
      classes.map(({ label, score }) => [label, score]),
    );
    return c.json({ result });
  });
}
