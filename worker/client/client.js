/**
 * Browser helper for the Fashion-MNIST classifier Worker, served by it at GET /client.js: one
 * dependency-free ES module.
 *
 *   import { classify } from 'https://fashion-mnist-edge.<you>.workers.dev/client.js';
 *   const { predictions } = await classify(fileInput.files[0], { top: 3 });
 *
 * It decodes a photo in the browser (turned upright by its EXIF orientation), shrinks it to at most
 * MAX_SIDE pixels on its long side and posts that, so a 12-megapixel phone photo costs a tens-of-KB
 * upload and the Worker little CPU (decoding a full-size photo costs it tens of ms).
 */

/** Long side of what is sent: detail enough for a garment that fills a fifth of the frame, at a few ms of the Worker's CPU. */
const MAX_SIDE = 512;
/**
 * A PNG or JPEG file within MAX_SIDE and this size is sent as it is (no re-encoding loss); a
 * re-encoded PNG larger than this is a photo, and is sent as a JPEG instead. Far below any sane
 * MAX_BODY_BYTES (12 MiB by default).
 */
const SMALL_BYTES = 64 * 1024;
const SENT_AS_IS = ['image/png', 'image/jpeg'];
/** JPEG quality for photos: at 512 px, q0.9 keeps edges clean in a few tens of KB. */
const JPEG_QUALITY = 0.9;

/**
 * @typedef {object} Prediction
 * @property {string} label Class name, e.g. "Ankle boot".
 * @property {number} index Class index, 0..9.
 * @property {number} score Probability, 0..1.
 */

/**
 * @typedef {object} Classification The Worker's answer (see its /openapi.json).
 * @property {Prediction[]} predictions Most probable first.
 * @property {{ name: string, version: string, sha256: string }} model The model that answered.
 * @property {string} [input] With `include: 'input'`: the 28x28 image the model saw, as a PNG data URL.
 */

/**
 * @typedef {object} ClassifyOptions
 * @property {string} [endpoint] The Worker's base URL; by default the origin this module was loaded from.
 * @property {number} [top] How many classes to return, 1..10 (the Worker's default: 3).
 * @property {string} [token] Bearer token, for a Worker with an API_TOKEN secret.
 * @property {string | string[]} [include] Extra answer fields, e.g. 'input'.
 * @property {AbortSignal} [signal] Aborts the request.
 * @property {(response: Response) => void} [onResponse] Sees the response before its body is read (e.g. its Server-Timing header).
 */

/**
 * @typedef {Blob | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | ImageData | Uint8Array<ArrayBuffer>} ClassifyInput
 * An image the helper can send; a Uint8Array is 784 raw bytes (28x28 gray, row-major, 0 = background).
 */

/** The Worker refused the request: `status` and the RFC 9457 problem it answered with. */
export class ClassifyError extends Error {
  /**
   * @param {number} status HTTP status.
   * @param {{ title?: string, detail?: string } | undefined} problem The problem document, if the body was one.
   */
  constructor(status, problem) {
    super(problem?.detail ?? `the classifier answered HTTP ${status}`);
    this.name = 'ClassifyError';
    /** @type {number} */
    this.status = status;
    /** @type {string | undefined} What exactly was wrong, as the Worker put it. */
    this.detail = problem?.detail;
    this.problem = problem;
  }
}

/**
 * Classifies one image with the Worker's POST /v1/classify.
 *
 * @param {ClassifyInput} input A File or Blob (any format the browser decodes), an ImageBitmap, a canvas, ImageData, or 784 raw bytes.
 * @param {ClassifyOptions} [options]
 * @returns {Promise<Classification>}
 * @throws {ClassifyError} when the Worker answers with an error status.
 * @throws {TypeError} when the request cannot be made: network down, or CORS refused (the browser does not say which).
 */
export async function classify(input, options = {}) {
  const {
    endpoint = new URL(import.meta.url).origin,
    top,
    token,
    include,
    signal,
    onResponse,
  } = options;
  const body = await uploadable(input);
  const url = new URL('v1/classify', endpoint.replace(/\/*$/, '/'));
  if (top !== undefined) url.searchParams.set('top', String(top));
  if (include !== undefined) url.searchParams.set('include', [include].flat().join(','));
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': body.type };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body, signal });
  onResponse?.(response);
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = undefined;
  }
  if (!response.ok) throw new ClassifyError(response.status, payload);
  if (payload === undefined)
    throw new ClassifyError(response.status, {
      detail: `the classifier's answer is not JSON: ${text.slice(0, 60)}`,
    });
  return payload;
}

/**
 * The bytes to post for `input`: raw bytes or a small PNG or JPEG file as they are; anything else
 * decoded, shrunk to MAX_SIDE and re-encoded.
 *
 * @param {ClassifyInput} input
 * @returns {Promise<Blob>}
 */
async function uploadable(input) {
  if (input instanceof Uint8Array) return new Blob([input], { type: 'application/octet-stream' });
  if (!(input instanceof Blob)) {
    const bitmap = input instanceof ImageBitmap ? input : await createImageBitmap(input);
    try {
      return await encode(shrink(bitmap), false);
    } finally {
      if (bitmap !== input) bitmap.close();
    }
  }
  const claimsPngOrJpeg = SENT_AS_IS.includes(input.type);
  let bitmap;
  try {
    // Browsers that predate the 'from-image' value refuse it, and apply EXIF orientation by default.
    bitmap = await createImageBitmap(input, { imageOrientation: 'from-image' }).catch(() =>
      createImageBitmap(input),
    );
  } catch (error) {
    // The Worker says more precisely than the browser what is wrong with a broken PNG or JPEG.
    if (claimsPngOrJpeg) return input;
    throw new Error(`the browser cannot decode this ${input.type || 'file'} as an image`, {
      cause: error,
    });
  }
  try {
    // The Worker applies a JPEG's EXIF orientation itself, so a small file can go untouched.
    if (
      claimsPngOrJpeg &&
      input.size <= SMALL_BYTES &&
      Math.max(bitmap.width, bitmap.height) <= MAX_SIDE
    )
      return input;
    return await encode(shrink(bitmap), input.type === 'image/jpeg');
  } finally {
    bitmap.close();
  }
}

/**
 * `canvas` as a PNG when that is small (drawings, line art, cut-outs: lossless, transparency kept
 * for the Worker to composite over white), otherwise, or straight away for a JPEG `photo`, as a
 * JPEG on white (a JPEG canvas would turn transparency black).
 *
 * @param {OffscreenCanvas} canvas
 * @param {boolean} photo
 * @returns {Promise<Blob>}
 */
async function encode(canvas, photo) {
  if (!photo) {
    const png = await canvas.convertToBlob({ type: 'image/png' });
    if (png.size <= SMALL_BYTES) return png;
  }
  const onWhite = new OffscreenCanvas(canvas.width, canvas.height);
  const context = /** @type {OffscreenCanvasRenderingContext2D} */ (onWhite.getContext('2d'));
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(canvas, 0, 0);
  return onWhite.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY });
}

/**
 * `bitmap` drawn at most MAX_SIDE pixels on its long side. Halves first while the image is over
 * twice the target: each halving is an exact 2x2 average with bilinear filtering, which keeps a
 * 4032-pixel photo from aliasing whatever the browser's one-step filter is.
 *
 * @param {ImageBitmap} bitmap
 * @returns {OffscreenCanvas}
 */
function shrink(bitmap) {
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  /** @type {ImageBitmap | OffscreenCanvas} */
  let source = bitmap;
  while (source.width >= 2 * width && source.height >= 2 * height) {
    source = draw(source, Math.ceil(source.width / 2), Math.ceil(source.height / 2));
  }
  return draw(source, width, height);
}

/**
 * @param {ImageBitmap | OffscreenCanvas} source
 * @param {number} width
 * @param {number} height
 * @returns {OffscreenCanvas}
 */
function draw(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  return canvas;
}
