/**
 * Fashion-MNIST for training: finds the four official IDX files (or downloads them), checks them
 * strictly against pinned digests and returns images and labels as views ready for tensors.
 *
 * Search order: `dataDir` or FASHION_MNIST_DIR (exclusively, if given); else ./data/fashion-mnist/,
 * then /usr/share/datasets/fashion-mnist/ (Debian package dataset-fashion-mnist); else download
 * into ./data/fashion-mnist/. Every failure is one DataError whose message is fit for the user.
 */
import { resolve } from 'node:path';
import { downloadFiles } from './download.ts';
import { DataError, HOW_TO_GET_DATA } from './errors.ts';
import { findInDirectory, readVerified, type DirectoryContents, type VerifiedFile } from './files.ts';

export { DataError } from './errors.ts';

/** One split: `count` images of 28x28 bytes, row-major, 0 = background, and their labels 0..9. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** The verified data set, where it came from, and digests to record with the trained model. */
export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
  /** Absolute path of the directory the files were read from. */
  directory: string;
  /** sha256 hex of each DECOMPRESSED file, keyed by base name e.g. 'train-images-idx3-ubyte' */
  digests: Record<string, string>;
}

/** Where to look and how to report; all optional. */
export interface LoadOptions {
  /** The CLI's --data DIR: use only this directory. Wins over env FASHION_MNIST_DIR. */
  dataDir?: string;
  /** Environment to read FASHION_MNIST_DIR from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Progress and status lines; default: written to stderr, keeping stdout for results. */
  log?: (line: string) => void;
  /** Download from the official mirror when no directory has the files; default true. */
  allowDownload?: boolean;
  /** Replaces the default search list (./data/fashion-mnist, /usr/share/datasets/fashion-mnist), for tests. */
  searchDirs?: string[];
}

/** Where the Debian package dataset-fashion-mnist installs the four .gz files. */
export const SYSTEM_DATA_DIR = '/usr/share/datasets/fashion-mnist';
/** Project-local directory (relative to the working directory); downloads are saved here. */
export const LOCAL_DATA_DIR = 'data/fashion-mnist';

/** One DataError listing, per directory, what is missing and why nowhere else was tried. */
function notFound(searched: DirectoryContents[], why: string): DataError {
  const lines = searched.flatMap(({ directory, exists, missing }) =>
    exists ? missing.map((name) => `  missing ${resolve(directory, name)} (or ${name}.gz)`) : [`  no such directory: ${directory}`],
  );
  return new DataError(`Fashion-MNIST data not found (${why}):\n${lines.join('\n')}\n${HOW_TO_GET_DATA}`);
}

/** Returns the first directory holding all four files, downloading them if allowed and none does. */
async function locate(options: LoadOptions, log: (line: string) => void): Promise<DirectoryContents> {
  const env = options.env ?? process.env;
  const explicit = options.dataDir
    ? { origin: '--data', directory: options.dataDir }
    : env.FASHION_MNIST_DIR
      ? { origin: 'FASHION_MNIST_DIR', directory: env.FASHION_MNIST_DIR }
      : undefined;
  if (explicit) {
    // An explicit directory is a promise about where the data is; falling back would hide a typo.
    const contents = await findInDirectory(resolve(explicit.directory));
    if (contents.missing.length > 0) throw notFound([contents], `directory given by ${explicit.origin}; no other place is searched`);
    return contents;
  }

  const localDir = resolve(LOCAL_DATA_DIR);
  const searched: DirectoryContents[] = [];
  for (const directory of options.searchDirs ?? [localDir, SYSTEM_DATA_DIR]) {
    const contents = await findInDirectory(resolve(directory));
    if (contents.missing.length === 0) return contents;
    if (contents.exists) log(`Fashion-MNIST: skipping ${contents.directory}, it lacks ${contents.missing.join(', ')}`);
    searched.push(contents);
  }
  if (options.allowDownload === false) throw notFound(searched, 'downloading is disabled');

  // Fetch only what the local directory lacks, so an earlier partial download is resumed, not repeated.
  await downloadFiles((await findInDirectory(localDir)).missing, localDir, { log });
  const downloaded = await findInDirectory(localDir);
  // Re-checked rather than assumed: returning an incomplete directory would yield empty image sets.
  if (downloaded.missing.length > 0) throw notFound([downloaded], 'still missing after downloading');
  return downloaded;
}

/**
 * Reads and verifies all files in parallel (gunzip runs on the thread pool), then reports the
 * first failure in file order, so the one error shown does not depend on which read finished first.
 */
async function readAll(contents: DirectoryContents): Promise<VerifiedFile[]> {
  const settled = await Promise.allSettled(contents.found.map(readVerified));
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}

/**
 * Loads and verifies Fashion-MNIST (see the module comment for where it looks).
 * Throws DataError for missing, unreadable, malformed or altered files and failed downloads.
 */
export async function loadFashionMnist(options: LoadOptions = {}): Promise<FashionMnist> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const started = performance.now();
  const contents = await locate(options, log);
  const verified = await readAll(contents);

  const empty = new Uint8Array(0);
  const sets: Record<'train' | 'test', ImageSet> = {
    train: { images: empty, labels: empty, count: 0 },
    test: { images: empty, labels: empty, count: 0 },
  };
  const digests: Record<string, string> = {};
  for (const { file, payload, sha256 } of verified) {
    sets[file.split][file.kind] = payload;
    // Both files of a split pin the same count and parseIdx enforced it, so images and labels agree.
    sets[file.split].count = file.count;
    digests[file.name] = sha256;
  }
  log(`Fashion-MNIST: verified ${verified.length} files in ${contents.directory} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { ...sets, directory: contents.directory, digests };
}
