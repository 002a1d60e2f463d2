import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFiles } from '../train/data/download.ts';
import { parseIdx } from '../train/data/idx.ts';
import { DataError, loadFashionMnist, type LoadOptions } from '../train/data/index.ts';

// Installed by `apt-get install -y dataset-fashion-mnist`; the tests fail (not skip) without it.
const REAL_DIR = '/usr/share/datasets/fashion-mnist';
// Written out here rather than imported, so a wrong constant in the loader fails these tests.
const PINNED: Record<string, string> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};
const NAMES = Object.keys(PINNED);
const TEST_LABELS = 't10k-labels-idx1-ubyte';
const TEST_IMAGES = 't10k-images-idx3-ubyte';

let scratch: string;
let fixtureCount = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fashion-mnist-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The real decompressed bytes of one file, as a fresh copy a test may alter. */
async function realPlain(name: string): Promise<Uint8Array> {
  return new Uint8Array(gunzipSync(await readFile(join(REAL_DIR, `${name}.gz`))));
}

/**
 * A fresh directory holding the real .gz files (symlinked, they are large) except where `files`
 * says otherwise: a file name maps to its bytes, and a base name mapped to null leaves that file out.
 */
async function fixture(files: Record<string, Uint8Array | null> = {}): Promise<string> {
  const dir = join(scratch, `fixture-${(fixtureCount += 1)}`);
  await mkdir(dir);
  for (const name of NAMES) {
    const replaced = Object.keys(files).some((file) => file === name || file === `${name}.gz`);
    if (!replaced) await symlink(join(REAL_DIR, `${name}.gz`), join(dir, `${name}.gz`));
  }
  for (const [file, bytes] of Object.entries(files))
    if (bytes) await writeFile(join(dir, file), bytes);
  return dir;
}

const quiet: LoadOptions = { allowDownload: false, env: {}, log: () => {} };

/** Loads with `options` and returns the DataError it must throw. */
async function loadError(options: LoadOptions): Promise<DataError> {
  const error = await loadFashionMnist({ ...quiet, ...options }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

/** Asserts the message names `path`, says each of `problems`, and tells the user how to get the data. */
function expectMessage(error: DataError, path: string, ...problems: string[]): void {
  expect(error.message).toContain(path);
  for (const problem of problems) expect(error.message).toContain(problem);
  expect(error.message).toContain('apt-get install -y dataset-fashion-mnist');
  expect(error.message).toContain('FASHION_MNIST_DIR');
}

describe('loading the real data', () => {
  it('returns 60000/10000 verified images with balanced labels, quickly and without copies', async () => {
    const lines: string[] = [];
    const started = performance.now();
    const data = await loadFashionMnist({
      ...quiet,
      searchDirs: [REAL_DIR],
      log: (line) => lines.push(line),
    });
    const seconds = (performance.now() - started) / 1000;

    expect(data.directory).toBe(REAL_DIR);
    expect(data.digests).toEqual(PINNED);
    expect(lines.join('\n')).toContain(`verified 4 files in ${REAL_DIR}`);
    for (const [set, count] of [
      [data.train, 60_000],
      [data.test, 10_000],
    ] as const) {
      expect(set.count).toBe(count);
      expect(set.images.length).toBe(count * 784);
      expect(set.labels.length).toBe(count);
      expect(Object.getPrototypeOf(set.images)).toBe(Uint8Array.prototype);
      // A view into the decompressed file (header included), not a copy of the pixels.
      expect(set.images.buffer.byteLength).toBeGreaterThanOrEqual(set.images.length + 16);
      const perClass = new Array<number>(10).fill(0);
      // A label outside 0..9 would lengthen the array and fail the comparison.
      for (const label of set.labels) perClass[label] = (perClass[label] ?? 0) + 1;
      expect(perClass).toEqual(new Array(10).fill(count / 10));
    }
    // Typically ~0.6 s; the bound is loose so a slow CI runner does not flake, yet catches pathologies.
    expect(seconds).toBeLessThan(10);
  });
});

describe('finding the files', () => {
  it('uses an explicit --data directory only, and names what is missing there', async () => {
    const dir = await fixture({ [TEST_LABELS]: null });
    const error = await loadError({ dataDir: dir, searchDirs: [REAL_DIR] });
    expectMessage(error, join(dir, TEST_LABELS), 'missing');
    expect(error.message).toContain('directory given by --data; no other place is searched');
  });

  it('honours FASHION_MNIST_DIR, but --data wins over it', async () => {
    const dir = await fixture();
    const fromEnv = await loadFashionMnist({
      ...quiet,
      env: { FASHION_MNIST_DIR: dir },
      searchDirs: [],
    });
    expect(fromEnv.directory).toBe(dir);
    const error = await loadError({ dataDir: join(dir, 'nope'), env: { FASHION_MNIST_DIR: dir } });
    expectMessage(error, `no such directory: ${join(dir, 'nope')}`, 'directory given by --data');
  });

  it('skips an incomplete directory, takes the first complete one, and says so', async () => {
    const partial = await fixture({ [TEST_IMAGES]: null });
    const complete = await fixture();
    const lines: string[] = [];
    const data = await loadFashionMnist({
      ...quiet,
      searchDirs: [partial, complete, REAL_DIR],
      log: (line) => lines.push(line),
    });
    expect(data.directory).toBe(complete);
    expect(lines[0]).toBe(`Fashion-MNIST: skipping ${partial}, it lacks ${TEST_IMAGES}`);
  });

  it('searches ./data/fashion-mnist under the working directory before the system directory', async () => {
    const project = join(scratch, 'project');
    const local = join(project, 'data', 'fashion-mnist');
    await mkdir(local, { recursive: true });
    for (const name of NAMES)
      await symlink(join(REAL_DIR, `${name}.gz`), join(local, `${name}.gz`));
    const previous = process.cwd();
    process.chdir(project);
    try {
      expect((await loadFashionMnist(quiet)).directory).toBe(local);
    } finally {
      process.chdir(previous);
    }
  });

  it('lists every searched directory when nothing is found and downloading is off', async () => {
    const empty = await fixture(Object.fromEntries(NAMES.map((name) => [name, null])));
    const absent = join(scratch, 'absent');
    const error = await loadError({ searchDirs: [empty, absent] });
    expectMessage(error, join(empty, 'train-images-idx3-ubyte'), 'downloading is disabled');
    expect(error.message).toContain(`no such directory: ${absent}`);
  });
});

describe('plain and .gz files', () => {
  it('accepts plain and gzipped files side by side with identical digests', async () => {
    const dir = await fixture({
      [TEST_LABELS]: await realPlain(TEST_LABELS),
      [TEST_IMAGES]: await realPlain(TEST_IMAGES),
    });
    const data = await loadFashionMnist({ ...quiet, searchDirs: [dir] });
    expect(data.digests).toEqual(PINNED);
    expect(data.test.count).toBe(10_000);
  });

  it('prefers the plain file when both forms exist', async () => {
    const dir = await fixture({
      [TEST_LABELS]: await realPlain(TEST_LABELS),
      [`${TEST_LABELS}.gz`]: new TextEncoder().encode('junk'),
    });
    await expect(loadFashionMnist({ ...quiet, searchDirs: [dir] })).resolves.toMatchObject({
      directory: dir,
    });
  });
});

describe('damaged files stop with one clear DataError', () => {
  const labelsWith = async (edit: (bytes: Uint8Array) => Uint8Array) =>
    edit(await realPlain(TEST_LABELS));

  it.each([
    [
      'truncated',
      async () => (await realPlain(TEST_LABELS)).subarray(0, 5000),
      'truncated: expected 10008 bytes, found 5000',
    ],
    [
      'shorter than its header',
      async () => new Uint8Array(3),
      'truncated: expected 10008 bytes, found 3',
    ],
    [
      'too long',
      async () => labelsWith((b) => new Uint8Array([...b, 0])),
      'too long: expected 10008 bytes, found 10009',
    ],
    [
      'wrong magic',
      async () => labelsWith((b) => ((b[3] = 3), b)),
      'wrong magic number 0x00000803 (that is an IDX image file); expected 0x00000801',
    ],
    ['gzip without .gz', async () => gzipSync(await realPlain(TEST_LABELS)), 'that is gzip data'],
    [
      'wrong count',
      async () => labelsWith((b) => ((b[7] = 0x0f), b)),
      'header says 9999 labels, expected 10000',
    ],
    [
      'label out of range',
      async () => labelsWith((b) => ((b[8 + 5] = 10), b)),
      'label 10 at index 5 is outside 0..9',
    ],
    // Structurally valid, one label changed (still in 0..9): only the digest can catch it.
    [
      'one flipped byte',
      async () => labelsWith((b) => ((b[8 + 5] = ((b[8 + 5] ?? 0) + 1) % 10), b)),
      ['digest mismatch: SHA-256', `expected ${PINNED[TEST_LABELS]}`],
    ],
  ])('%s', async (_case, make, problem) => {
    const dir = await fixture({ [TEST_LABELS]: await make() });
    expectMessage(
      await loadError({ searchDirs: [dir] }),
      join(dir, TEST_LABELS),
      ...[problem].flat(),
    );
  });

  it('checks image dimensions', async () => {
    const images = await realPlain(TEST_IMAGES);
    images[15] = 27;
    const dir = await fixture({ [TEST_IMAGES]: images });
    expectMessage(
      await loadError({ searchDirs: [dir] }),
      join(dir, TEST_IMAGES),
      'images are 28x27 pixels, expected 28x28',
    );
  });

  it.each([
    [
      'not gzip at all',
      async () => new TextEncoder().encode('<html>Not Found</html>'),
      'corrupt gzip data (incorrect header check)',
    ],
    [
      'cut short',
      async () => (await readFile(join(REAL_DIR, `${TEST_LABELS}.gz`))).subarray(0, 2000),
      'corrupt gzip data (unexpected end of file)',
    ],
    [
      'valid gzip of a truncated file',
      async () => gzipSync((await realPlain(TEST_LABELS)).subarray(0, 100)),
      'truncated: expected 10008 bytes, found 100',
    ],
  ])('.gz %s', async (_case, make, problem) => {
    const dir = await fixture({ [`${TEST_LABELS}.gz`]: await make() });
    expectMessage(await loadError({ searchDirs: [dir] }), join(dir, `${TEST_LABELS}.gz`), problem);
  });

  it('reports the first bad file in file order when several are bad', async () => {
    const bad = new Uint8Array(10);
    const dir = await fixture({ [TEST_LABELS]: bad, 'train-labels-idx1-ubyte': bad });
    const error = await loadError({ searchDirs: [dir] });
    expect(error.message).toContain(join(dir, 'train-labels-idx1-ubyte'));
    expect(error.message).not.toContain(TEST_LABELS);
  });
});

describe('parseIdx', () => {
  it('returns a view of the payload of a small generated file', () => {
    const bytes = new Uint8Array([
      0,
      0,
      8,
      3,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      28,
      0,
      0,
      0,
      28,
      ...new Array(2 * 784).fill(7),
    ]);
    const payload = parseIdx(bytes, { kind: 'images', count: 2 }, 'tiny');
    expect(payload.length).toBe(2 * 784);
    expect(payload.buffer).toBe(bytes.buffer);
    expect(payload.byteOffset).toBe(16);
  });
});

describe('downloading (from a local server standing in for the mirror)', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const name = (request.url ?? '').slice(1);
      if (name === 'broken.gz') {
        // Promise 1 MB, send a little, then drop the connection: a download cut off mid-way.
        response.writeHead(200, { 'Content-Length': '1000000' });
        response.write(new Uint8Array(1000), () => response.destroy());
        return;
      }
      readFile(join(REAL_DIR, name)).then(
        (body) => response.writeHead(200, { 'Content-Length': String(body.length) }).end(body),
        () => response.writeHead(404, 'Not Found').end(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('fetches missing files, reports progress as plain lines, and the result verifies', async () => {
    const dir = await fixture({ [TEST_LABELS]: null, [TEST_IMAGES]: null });
    const lines: string[] = [];
    await downloadFiles([TEST_LABELS, TEST_IMAGES], dir, {
      baseUrl,
      log: (line) => lines.push(line),
      progressBar: false,
    });
    expect(lines).toContain(`  ${TEST_IMAGES}: 100% (4.4/4.4 MB)`);
    expect(lines[0]).toContain(`Downloading ${baseUrl}/${TEST_LABELS}.gz`);
    expect((await readdir(dir)).sort()).toEqual(NAMES.map((name) => `${name}.gz`).sort());
    expect((await loadFashionMnist({ ...quiet, searchDirs: [dir] })).digests).toEqual(PINNED);
  });

  it('draws a progress bar when asked (silently here: stderr is not a TTY)', async () => {
    const dir = join(scratch, 'bar');
    await downloadFiles([TEST_LABELS], dir, { baseUrl, log: () => {}, progressBar: true });
    expect(await readdir(dir)).toEqual([`${TEST_LABELS}.gz`]);
  });

  it.each([
    ['missing', 'nonexistent', 'HTTP 404 Not Found'],
    ['cut off', 'broken', 'failed after 1000 bytes'],
  ])('fails clearly and leaves no file when the download is %s', async (_case, name, problem) => {
    const dir = join(scratch, `download-${name}`);
    const error = await downloadFiles([name], dir, {
      baseUrl,
      log: () => {},
      progressBar: false,
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DataError);
    expectMessage(
      error as DataError,
      `${join(dir, `${name}.gz`)}: download from ${baseUrl}/${name}.gz failed`,
      problem,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
