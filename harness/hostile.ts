/**
 * Hostile traffic for the reliability tests and the soak script (bench/soak.ts): fast-check
 * arbitraries of requests to every endpoint, mixing valid inputs with structured-but-wrong JSON,
 * random bytes and mutated PNG/JPEG files; editors for hand-made malformed images; and the one rule
 * every answer must follow: a well-formed 200 (or 204 to a preflight), or an application/problem+json
 * 4xx, and never a 5xx.
 */
import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { base64, toJpeg, toPng, toRows, type Bytes } from './dataset.ts';

const MODEL = 'fashion-mnist';
const CLASSES = 10;
const PIXELS = 784;
/** MAX_BATCH of worker/routes/inference-route.ts, restated: the tests check the documented value. */
export const MAX_BATCH = 256;

/** Which API a request addresses, deciding what a 200 must look like. */
export type Endpoint = 'classify' | 'predict' | 'infer' | 'other';

/** One request and what its answer must be. */
export interface HostileRequest {
  /** Short description of how the request was made, for failure messages and the soak's table. */
  label: string;
  endpoint: Endpoint;
  method: string;
  /** Path and query, e.g. `/v1/classify?top=3`. */
  path: string;
  headers: Record<string, string>;
  body?: Bytes;
  /** The request is valid: only a 200 will do. Otherwise a 200 or a 4xx problem is acceptable. */
  mustSucceed: boolean;
  /** Images in a valid request, for checking the size of the answer. */
  images?: number;
}

/** What a generated body is, before it is put into a request. */
interface Body {
  bytes: Bytes;
  mustSucceed: boolean;
  label: string;
  images?: number;
}

const encoder = new TextEncoder();
const utf8 = (text: string): Bytes => encoder.encode(text) as Bytes;

/** A copy of a PNG whose IHDR declares `width` x `height`, its CRC recomputed so only the size is wrong. */
export function withPngSize(png: Uint8Array, width: number, height: number): Bytes {
  const copy = new Uint8Array(png);
  const view = new DataView(copy.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  // The CRC covers the chunk type and data: bytes 12..28 (PNG 5.3).
  view.setUint32(29, crc32(copy.subarray(12, 29)));
  return copy;
}

/** A PNG chunk: length, type, data, CRC (PNG 5.3). */
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(utf8(type), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/** A 1x1 gray PNG whose image data inflates to 64 MiB: a zlib bomb no header reveals (~64 kB on the wire). */
export function zlibBombPng(): Bytes {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, 1);
  view.setUint32(4, 1);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit gray, deflate, adaptive filtering, no interlace
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const parts = [
    Uint8Array.from(signature),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(new Uint8Array(64 * 2 ** 20))),
    pngChunk('IEND', new Uint8Array(0)),
  ];
  const file = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((offset, part) => (file.set(part, offset), offset + part.length), 0);
  return file;
}

/** Offset of the first frame header marker (SOF0..2, 0xFF 0xC0..0xC2) of a JPEG. */
export function jpegFrameOffset(jpeg: Uint8Array): number {
  const view = new DataView(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  for (let offset = 2; offset + 4 <= jpeg.length; offset += 2 + view.getUint16(offset + 2)) {
    if (jpeg[offset + 1]! >= 0xc0 && jpeg[offset + 1]! <= 0xc2) return offset;
  }
  throw new Error('the JPEG has no SOF0..2 frame header');
}

/** A copy of a JPEG whose first frame header declares `width` x `height`. */
export function withJpegSize(jpeg: Uint8Array, width: number, height: number): Bytes {
  const copy = new Uint8Array(jpeg);
  const view = new DataView(copy.buffer);
  // Marker (2), length (2), precision (1), then lines and samples per line (JPEG T.81 B.2.2).
  const frame = jpegFrameOffset(copy);
  view.setUint16(frame + 5, height);
  view.setUint16(frame + 7, width);
  return copy;
}

/** The ways a file gets damaged: flipped bits, cut short, bytes spliced in or appended, a run zeroed. */
function damaged(source: fc.Arbitrary<Bytes>): fc.Arbitrary<{ bytes: Bytes; how: string }> {
  const at = (bytes: Uint8Array, position: number) => position % Math.max(1, bytes.length);
  return fc.oneof(
    fc
      .tuple(
        source,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }),
      )
      .map(([bytes, flips]) => {
        const copy = new Uint8Array(bytes);
        for (const [position, bit] of flips) copy[at(copy, position)]! ^= 1 << bit;
        return { bytes: copy, how: `${flips.length} bit flips` };
      }),
    fc.tuple(source, fc.nat()).map(([bytes, position]) => ({
      bytes: bytes.slice(0, at(bytes, position)),
      how: 'truncated',
    })),
    fc
      .tuple(source, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([bytes, position, extra]) => {
        const cut = at(bytes, position);
        const copy = new Uint8Array(bytes.length + extra.length);
        copy.set(bytes.subarray(0, cut));
        copy.set(extra, cut);
        copy.set(bytes.subarray(cut), cut + extra.length);
        return { bytes: copy, how: 'bytes spliced in' };
      }),
    fc.tuple(source, fc.uint8Array({ minLength: 1, maxLength: 256 })).map(([bytes, tail]) => {
      const copy = new Uint8Array(bytes.length + tail.length);
      copy.set(bytes);
      copy.set(tail, bytes.length);
      return { bytes: copy, how: 'garbage appended' };
    }),
    fc.tuple(source, fc.nat(), fc.nat({ max: 64 })).map(([bytes, position, length]) => {
      const copy = new Uint8Array(bytes);
      copy.fill(0, at(copy, position), at(copy, position) + length);
      return { bytes: copy, how: 'a run zeroed' };
    }),
  );
}

/** Sizes worth declaring in a header: degenerate, off by one, at the limits, and random. */
const dimension = (max: number) =>
  fc.oneof(
    fc
      .constantFrom(
        0,
        1,
        27,
        28,
        29,
        255,
        256,
        1024,
        4096,
        65535,
        100_000,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 32 - 1,
      )
      .filter((d) => d <= max),
    fc.nat({ max }),
  );

/** Real images, encoded the ways clients send them. */
export interface ImagePool {
  raw: Bytes[];
  png: Bytes[];
  jpeg: Bytes[];
  /** Lossless and lossy in turn. */
  webp: Bytes[];
}

/** Encodes each 784-byte image as PNG, JPEG and WebP once, so generating requests stays cheap. */
export async function imagePool(images: Bytes[]): Promise<ImagePool> {
  const webp = await Promise.all(
    images.map(
      async (image, i) =>
        new Uint8Array(
          await sharp(image, { raw: { width: 28, height: 28, channels: 1 } })
            .webp(i % 2 ? { quality: 90 } : { lossless: true })
            .toBuffer(),
        ),
    ),
  );
  // One phone-size lossy WebP, so that valid and damaged files reach the Worker's own VP8 decoder
  // (the 28x28 ones go to libwebp).
  const large = await sharp(images[0]!, { raw: { width: 28, height: 28, channels: 1 } })
    .resize(1200, 900, { fit: 'contain', background: 'black', kernel: 'cubic' })
    .webp({ quality: 80 })
    .toBuffer();
  return {
    raw: images,
    png: images.map((image) => toPng(image)),
    jpeg: images.map((image) => toJpeg(image)),
    webp: [...webp, new Uint8Array(large)],
  };
}

/**
 * A copy of a simple WebP whose bitstream header declares `width` x `height`, modulo the 14-bit
 * fields that hold them: VP8L stores size - 1 (RFC 9649 3.2), a VP8 key frame the size (RFC 6386 9.1).
 */
export function withWebpSize(webp: Uint8Array, width: number, height: number): Bytes {
  const copy = new Uint8Array(webp);
  const view = new DataView(copy.buffer);
  if (String.fromCharCode(...copy.subarray(12, 16)) === 'VP8L') {
    const [w, h] = [(width - 1) & 0x3fff, (height - 1) & 0x3fff];
    view.setUint32(21, ((view.getUint32(21, true) & ~0xfffffff) | w | (h << 14)) >>> 0, true);
  } else {
    view.setUint16(26, (view.getUint16(26, true) & 0xc000) | (width & 0x3fff), true);
    view.setUint16(28, (view.getUint16(28, true) & 0xc000) | (height & 0x3fff), true);
  }
  return copy;
}

/** Per image format: how a header's size is edited, the largest size it can say, and the format a mislabelled body really is. */
const FORMATS = {
  png: { resize: withPngSize, max: 2 ** 32 - 1, other: 'jpeg' },
  jpeg: { resize: withJpegSize, max: 65535, other: 'png' },
  webp: { resize: withWebpSize, max: 16384, other: 'png' },
} as const;

/** An image file body for `type`: valid, damaged, with a hostile declared size, of another format, or not an image. */
function imageBody(pool: ImagePool, type: 'png' | 'jpeg' | 'webp'): fc.Arbitrary<Body> {
  const files = fc.constantFrom(...pool[type]);
  const { resize, max, other: otherType } = FORMATS[type];
  const other = fc.constantFrom(...pool[otherType]);
  return fc.oneof(
    {
      weight: 3,
      arbitrary: files.map((bytes) => ({
        bytes,
        mustSucceed: true,
        label: `${type} valid`,
        images: 1,
      })),
    },
    {
      weight: 4,
      arbitrary: damaged(files).map(({ bytes, how }) => ({
        bytes,
        mustSucceed: false,
        label: `${type} ${how}`,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(files, dimension(max), dimension(max)).map(([bytes, width, height]) => ({
        bytes: resize(bytes, width, height),
        mustSucceed: false,
        label: `${type} header size edited`,
      })),
    },
    {
      weight: 1,
      arbitrary: other.map((bytes) => ({
        bytes,
        mustSucceed: false,
        label: `${otherType} mislabelled as ${type}`,
      })),
    },
    { weight: 1, arbitrary: randomBytes },
  );
}

const randomBytes: fc.Arbitrary<Body> = fc
  .uint8Array({ maxLength: 2048 })
  .map((bytes) => ({ bytes: bytes as Bytes, mustSucceed: false, label: 'random bytes' }));

/** One image as JSON: 784 numbers or 28 rows of 28. */
const jsonImage = (pool: ImagePool) =>
  fc
    .tuple(fc.constantFrom(...pool.raw), fc.boolean())
    .map(([image, rows]) => (rows ? toRows(image) : Array.from(image)));

/** A valid JSON document for `endpoint`, with the number of images it carries. */
function validDocument(
  pool: ImagePool,
  endpoint: 'classify' | 'predict' | 'infer',
): fc.Arbitrary<{ doc: unknown; images: number }> {
  const image = jsonImage(pool);
  const batch = fc.array(image, { minLength: 1, maxLength: 4 });
  if (endpoint === 'classify') return image.map((pixels) => ({ doc: { pixels }, images: 1 }));
  if (endpoint === 'predict') {
    const encoded = fc
      .oneof(fc.constantFrom(...pool.png), fc.constantFrom(...pool.jpeg))
      .map((bytes) => ({ b64: base64(bytes) }));
    const instance = fc.oneof(
      image,
      encoded,
      image.map((pixels) => ({ images: pixels })),
    );
    return fc.oneof(
      fc
        .array(instance, { minLength: 1, maxLength: 4 })
        .map((instances) => ({ doc: { instances }, images: instances.length })),
      batch.map((inputs) => ({ doc: { inputs }, images: inputs.length })),
      batch.map((inputs) => ({
        doc: { signature_name: 'serving_default', inputs: { images: inputs } },
        images: inputs.length,
      })),
    );
  }
  return fc
    .tuple(
      fc.array(fc.constantFrom(...pool.raw), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.constantFrom('UINT8', 'FP32'),
      fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    )
    .map(([images, nested, datatype, id]) => {
      const data = nested
        ? images.map((image) => toRows(image))
        : images.flatMap((image) => Array.from(image));
      const shape = nested ? [images.length, 28, 28] : [images.length, PIXELS];
      return {
        doc: {
          ...(id === undefined ? {} : { id }),
          inputs: [{ name: 'images', shape, datatype, data }],
          outputs: [{ name: 'probabilities' }],
        },
        images: images.length,
      };
    });
}

type Path = (string | number)[];

/** Every path into a JSON value, the root included. */
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...path, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...path, key], out);
  return out;
}

type Edit = 'replace' | 'delete' | 'wrap' | 'duplicate';

/** `doc` with the value at `path` edited; a deep copy, so generated values stay immutable. */
function edit(doc: unknown, path: Path, how: Edit, replacement: unknown): unknown {
  if (path.length === 0) return how === 'wrap' ? [doc] : replacement;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (how === 'replace') parent[key] = replacement;
  else if (how === 'wrap') parent[key] = [parent[key]];
  else if (Array.isArray(parent))
    parent.splice(
      Number(key),
      how === 'delete' ? 1 : 0,
      ...(how === 'delete' ? [] : [parent[key]]),
    );
  else if (how === 'delete') delete parent[key];
  else parent[`${key}_`] = parent[key];
  return copy;
}

/** Number literals JSON forbids or the API refuses: overflow to Infinity, out of range, fractional, malformed. */
const HOSTILE_NUMBERS = [
  '1e309',
  '-1e309',
  '-1',
  '256',
  '255.5',
  '0.5',
  '-0',
  '1e-400',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '01',
  '1.',
  '.5',
  '+1',
  '1e',
  '-',
];

/** The JSON text with its `index`-th number (counted modulo how many there are) replaced by `literal`. */
function replaceNumber(text: string, index: number, literal: string): string {
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
  if (numbers.length === 0) return text;
  const match = numbers[index % numbers.length]!;
  return text.slice(0, match.index) + literal + text.slice(match.index + match[0].length);
}

/** A JSON body for `endpoint`: valid, edited at one place, a number made hostile, or not the right JSON at all. */
function jsonBody(pool: ImagePool, endpoint: 'classify' | 'predict' | 'infer'): fc.Arbitrary<Body> {
  const valid = validDocument(pool, endpoint);
  const ofText = (text: string, label: string): Body => ({
    bytes: utf8(text),
    mustSucceed: false,
    label,
  });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: valid.map(({ doc, images }) => ({
        bytes: utf8(JSON.stringify(doc)),
        mustSucceed: true,
        label: 'json valid',
        images,
      })),
    },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          valid,
          fc.nat(),
          fc.constantFrom<Edit>('replace', 'replace', 'delete', 'wrap', 'duplicate'),
          fc.jsonValue({ maxDepth: 3 }),
        )
        .map(([{ doc }, pick, how, replacement]) => {
          const paths = pathsOf(doc);
          return ofText(
            JSON.stringify(edit(doc, paths[pick % paths.length]!, how, replacement)),
            `json ${how} at one place`,
          );
        }),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.constantFrom(...HOSTILE_NUMBERS))
        .map(([{ doc }, index, literal]) =>
          ofText(replaceNumber(JSON.stringify(doc), index, literal), `json number ${literal}`),
        ),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((text) => ofText(text, 'json random')) },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: 20_000 })
        .map((depth) => ofText(`${'['.repeat(depth)}${']'.repeat(depth)}`, 'json deep nesting')),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 200 })
        .map((text) => ofText(text, 'text random')),
    },
    { weight: 1, arbitrary: randomBytes },
  );
}

/** A 784-byte body (any 784 bytes are a valid image), or a wrong length. */
const rawBody = (pool: ImagePool): fc.Arbitrary<Body> =>
  fc.oneof(
    fc
      .constantFrom(...pool.raw)
      .map((bytes) => ({ bytes, mustSucceed: true, label: 'raw valid', images: 1 })),
    fc.uint8Array({ minLength: PIXELS, maxLength: PIXELS }).map((bytes) => ({
      bytes: bytes as Bytes,
      mustSucceed: true,
      label: 'raw random pixels',
      images: 1,
    })),
    randomBytes,
  );

/** The `top` query parameter: absent, valid, or not an integer from 1 to 10. */
const topParameter: fc.Arbitrary<{ query: string; top: number; valid: boolean }> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ query: '', top: 3, valid: true }) },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 1, max: 10 })
      .map((top) => ({ query: `?top=${top}`, top, valid: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('0', '11', '-1', '2.5', 'abc', '', '%zz', '1e1', '0x3')
      .map((top) => ({ query: `?top=${top}`, top: 0, valid: false })),
  },
);

const CLASSIFY_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'application/octet-stream',
  'application/json',
] as const;

function classifyRequest(pool: ImagePool): fc.Arbitrary<HostileRequest> {
  const bodies = {
    'image/png': imageBody(pool, 'png'),
    'image/jpeg': imageBody(pool, 'jpeg'),
    'image/webp': imageBody(pool, 'webp'),
    'application/octet-stream': rawBody(pool),
    'application/json': jsonBody(pool, 'classify'),
  };
  return fc
    .constantFrom(...CLASSIFY_TYPES)
    .chain((type) => fc.tuple(fc.constant(type), bodies[type], topParameter))
    .map(([type, body, top]): HostileRequest => ({
      label: `classify ${body.label}`,
      endpoint: 'classify',
      method: 'POST',
      path: `/v1/classify${top.query}`,
      headers: { 'Content-Type': type },
      body: body.bytes,
      mustSucceed: body.mustSucceed && top.valid,
      ...(top.valid ? { images: top.top } : {}),
    }));
}

function jsonRequest(pool: ImagePool, endpoint: 'predict' | 'infer'): fc.Arbitrary<HostileRequest> {
  const path = endpoint === 'predict' ? `/v1/models/${MODEL}:predict` : `/v2/models/${MODEL}/infer`;
  return jsonBody(pool, endpoint).map((body): HostileRequest => ({
    label: `${endpoint} ${body.label}`,
    endpoint,
    method: 'POST',
    path,
    headers: { 'Content-Type': 'application/json' },
    body: body.bytes,
    mustSucceed: body.mustSucceed,
    ...(body.images === undefined ? {} : { images: body.images }),
  }));
}

const KNOWN_PATHS = [
  '/',
  '/openapi.json',
  '/v1/classify',
  `/v1/models/${MODEL}`,
  `/v1/models/${MODEL}/metadata`,
  `/v1/models/${MODEL}:predict`,
  '/v1/models/nope:predict',
  '/v2',
  '/v2/health/live',
  '/v2/health/ready',
  `/v2/models/${MODEL}`,
  `/v2/models/${MODEL}/ready`,
  `/v2/models/${MODEL}/infer`,
  '/v2/models/nope/infer',
];
const MEDIA_TYPES = [
  ...CLASSIFY_TYPES,
  'text/plain',
  'image/gif',
  'multipart/form-data; boundary=x',
  'APPLICATION/JSON; charset=utf-8',
  'image/png;;;',
  '',
];

/** Any method on a known or random path, with any Content-Type and body: routing, 404, 405 and 415 paths. */
function strayRequest(pool: ImagePool): fc.Arbitrary<HostileRequest> {
  const path = fc.oneof(
    fc.constantFrom(...KNOWN_PATHS),
    fc
      .tuple(fc.constantFrom(...KNOWN_PATHS), fc.webQueryParameters())
      .map(([base, query]) => `${base}?${query}`),
    fc.webPath().map((random) => `/${random.replace(/^\/+/, '')}`),
    fc
      .array(
        fc.constantFrom(
          'v1',
          'v2',
          'models',
          MODEL,
          'infer',
          ':predict',
          '%',
          '%zz',
          '..',
          '%2F',
          '\u00e9',
          'a'.repeat(300),
        ),
        { maxLength: 6 },
      )
      .map((parts) => `/${parts.join('/')}`),
  );
  const body = fc.oneof(imageBody(pool, 'png'), jsonBody(pool, 'predict'), randomBytes);
  return fc
    .tuple(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      path,
      fc.constantFrom(...MEDIA_TYPES),
      body,
    )
    .map(([method, where, type, content]): HostileRequest => ({
      label: `${method} ${content.label}`,
      endpoint: 'other',
      method,
      path: where,
      headers: type ? { 'Content-Type': type } : {},
      // fetch refuses a body on GET and HEAD.
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: content.bytes }),
      mustSucceed: false,
    }));
}

/** Requests to every endpoint and content type, valid and hostile, in roughly equal shares per endpoint. */
export function hostileRequest(pool: ImagePool): fc.Arbitrary<HostileRequest> {
  return fc.oneof(
    { weight: 4, arbitrary: classifyRequest(pool) },
    { weight: 2, arbitrary: jsonRequest(pool, 'predict') },
    { weight: 2, arbitrary: jsonRequest(pool, 'infer') },
    { weight: 1, arbitrary: strayRequest(pool) },
  );
}

/** The fetch options of a request. */
export function requestInit(request: HostileRequest): RequestInit {
  return {
    method: request.method,
    headers: request.headers,
    ...(request.body ? { body: request.body } : {}),
  };
}

const isProbability = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 1;
const isProbabilityRow = (row: unknown) =>
  Array.isArray(row) && row.length === CLASSES && row.every(isProbability);

/** What is wrong with a 200 from `endpoint` carrying `images` images (classify: `top` predictions), or undefined. */
function shapeProblem(
  endpoint: Endpoint,
  body: unknown,
  images: number | undefined,
): string | undefined {
  const document = body as Record<string, unknown>;
  if (endpoint === 'classify') {
    const predictions = document.predictions as
      { label?: unknown; index?: unknown; score?: unknown }[] | undefined;
    const well =
      Array.isArray(predictions) &&
      predictions.every(
        (p) => typeof p.label === 'string' && Number.isInteger(p.index) && isProbability(p.score),
      );
    if (!well || (images !== undefined && predictions.length !== images))
      return 'classify answer has no valid predictions';
    return (document.model as { name?: unknown } | undefined)?.name === MODEL
      ? undefined
      : 'classify answer does not name the model';
  }
  if (endpoint === 'predict') {
    // Row-format requests are answered with "predictions", columnar ones with "outputs" (api_rest.md).
    const rows = document.predictions ?? document.outputs;
    const well =
      Array.isArray(rows) &&
      rows.length > 0 &&
      rows.length <= MAX_BATCH &&
      rows.every(isProbabilityRow);
    return well && (images === undefined || rows.length === images)
      ? undefined
      : 'predict answer is not N rows of 10 probabilities';
  }
  if (endpoint === 'infer') {
    const output = (document.outputs as Record<string, unknown>[] | undefined)?.[0];
    const data = output?.data;
    const count = Array.isArray(output?.shape) ? (output.shape[0] as number) : -1;
    const well =
      output?.name === 'probabilities' &&
      Array.isArray(data) &&
      data.length === count * CLASSES &&
      data.every(isProbability);
    return well && (images === undefined || count === images)
      ? undefined
      : 'infer answer is not an N x 10 probabilities tensor';
  }
  return undefined;
}

/**
 * Reads the answer to `request` and says what is wrong with it, or undefined when it is acceptable:
 * a valid request must get a 200 of the right shape; anything else a 200 of the right shape, a 204
 * (CORS preflight), or a 4xx application/problem+json whose status matches and that leaks no stack.
 */
export async function answerProblem(
  request: HostileRequest,
  response: Response,
): Promise<string | undefined> {
  const text = await response.text();
  const { status } = response;
  const type = response.headers.get('Content-Type') ?? '';
  const quote = `${status} ${type} ${text.slice(0, 300)}`;
  if (request.mustSucceed && status !== 200) return `a valid request got ${quote}`;
  if (status === 204 && request.method === 'OPTIONS') return undefined;
  if (status >= 400 && status < 500) {
    if (type !== 'application/problem+json')
      return `a ${status} that is not application/problem+json: ${quote}`;
    if (request.method === 'HEAD') return undefined;
    const problem = JSON.parse(text) as Record<string, unknown>;
    const well =
      problem.status === status &&
      typeof problem.title === 'string' &&
      typeof problem.detail === 'string' &&
      problem.detail !== '';
    if (!well) return `a malformed problem: ${quote}`;
    return /\bat .+\.(ts|js):\d+/.test(text)
      ? `a problem that leaks a stack trace: ${quote}`
      : undefined;
  }
  if (status !== 200) return `status outside 200/204/4xx: ${quote}`;
  if (request.method === 'HEAD' || type.startsWith('text/html')) return undefined;
  if (!type.startsWith('application/json')) return `a 200 that is not JSON: ${quote}`;
  return shapeProblem(request.endpoint, JSON.parse(text), request.images);
}

/** Deterministic bytes that do not compress: the worst case for file size and decoding alike. */
function noise(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Side of the large PNG and JPEG photos of the heavy requests. */
const LARGEST_SIDE = 512;

/**
 * The most expensive requests the limits let through, and the most expensive ones they refuse:
 * what sets an isolate's peak memory. Valid: a 512x512 16-bit RGBA PNG of a garment under noise (~2 MB) and JPEG,
 * full batches of 256 on both JSON APIs. Refused: 257 images, 256 blank base64 images of 512x512,
 * a zlib bomb, a declared 100000x100000, 100,000 levels of nesting, a 12 MiB body.
 */
export function heavyRequests(pool: ImagePool): HostileRequest[] {
  const side = LARGEST_SIDE;
  const rows = toRows(pool.raw[0]!);
  const instances = (count: number) =>
    utf8(JSON.stringify({ instances: Array.from({ length: count }, () => rows) }));
  const blank = base64(
    encodePng({
      width: side,
      height: side,
      data: new Uint8Array(side * side),
      channels: 1,
      depth: 8,
    }),
  );
  const classify = (
    label: string,
    type: string,
    body: Bytes,
    mustSucceed: boolean,
  ): HostileRequest => ({
    label,
    endpoint: 'classify',
    method: 'POST',
    path: '/v1/classify',
    headers: { 'Content-Type': type },
    body,
    mustSucceed,
    ...(mustSucceed ? { images: 3 } : {}),
  });
  const json = (
    label: string,
    endpoint: 'predict' | 'infer',
    body: Bytes,
    images?: number,
  ): HostileRequest => ({
    label,
    endpoint,
    method: 'POST',
    path: endpoint === 'predict' ? `/v1/models/${MODEL}:predict` : `/v2/models/${MODEL}/infer`,
    headers: { 'Content-Type': 'application/json' },
    body,
    mustSucceed: images !== undefined,
    ...(images === undefined ? {} : { images }),
  });
  // A garment (test image 0, scaled up, dark on white) under noise: the preprocessing finds it, as
  // it must in a photo, and the noise keeps the files as large as photos of this size are.
  const garment = pool.raw[0]!;
  const ink = (i: number): number =>
    garment[
      Math.floor((Math.floor(i / side) * 28) / side) * 28 + Math.floor(((i % side) * 28) / side)
    ]!;
  const grain16 = new Uint16Array(noise(side * side * 8, 1).buffer);
  const png16 = encodePng({
    width: side,
    height: side,
    data: grain16.map((n, k) => (k % 4 === 3 ? 65535 : (255 - ink(k >> 2)) * 240 + (n & 0xfff))),
    channels: 4,
    depth: 16,
  });
  const grain = noise(side * side * 4, 2);
  const photo = jpeg.encode(
    {
      width: side,
      height: side,
      data: grain.map((n, k) => (k % 4 === 3 ? 255 : Math.max(0, 240 - ink(k >> 2)) + (n & 15))),
    },
    95,
  ).data;
  const v2Batch = {
    inputs: [
      {
        name: 'images',
        shape: [MAX_BATCH, 28, 28],
        datatype: 'FP32',
        data: Array.from({ length: MAX_BATCH }, () => rows),
      },
    ],
  };
  return [
    classify(`heavy ${side}x${side} 16-bit RGBA PNG`, 'image/png', new Uint8Array(png16), true),
    classify(`heavy ${side}x${side} JPEG`, 'image/jpeg', new Uint8Array(photo), true),
    json(`heavy ${MAX_BATCH} instances`, 'predict', instances(MAX_BATCH), MAX_BATCH),
    json(`heavy ${MAX_BATCH} v2 FP32 images`, 'infer', utf8(JSON.stringify(v2Batch)), MAX_BATCH),
    json(`heavy ${MAX_BATCH + 1} instances`, 'predict', instances(MAX_BATCH + 1)),
    json(
      `heavy ${MAX_BATCH} base64 ${side}x${side} PNGs`,
      'predict',
      utf8(
        JSON.stringify({ instances: Array.from({ length: MAX_BATCH }, () => ({ b64: blank })) }),
      ),
    ),
    classify('heavy zlib bomb', 'image/png', zlibBombPng(), false),
    classify(
      'heavy PNG declaring 100000x100000',
      'image/png',
      withPngSize(pool.png[0]!, 100_000, 100_000),
      false,
    ),
    json('heavy 100,000 nested arrays', 'infer', utf8('['.repeat(100_000) + ']'.repeat(100_000))),
    classify(
      'heavy 12 MiB octet-stream',
      'application/octet-stream',
      new Uint8Array(12 * 2 ** 20),
      false,
    ),
  ];
}
