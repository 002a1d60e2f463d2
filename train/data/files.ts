/**
 * The four Fashion-MNIST files: their names, what each must contain, their pinned digests, and
 * how to find, read and verify them on disk.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { fileError } from './errors.ts';
import { parseIdx, type IdxShape } from './idx.ts';

const gunzipAsync = promisify(gunzip);

/** One of the four files of the official release. */
export interface DataFile extends IdxShape {
  /** Base name without `.gz`, e.g. 'train-images-idx3-ubyte'. */
  name: string;
  split: 'train' | 'test';
  /** SHA-256 (hex) of the DECOMPRESSED file, so .gz and plain copies verify the same way. */
  sha256: string;
}

/** The official release, pinned: anything else (another version, a re-encode, MNIST digits) is refused. */
export const DATA_FILES: readonly DataFile[] = [
  { name: 'train-images-idx3-ubyte', split: 'train', kind: 'images', count: 60_000, sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
  { name: 'train-labels-idx1-ubyte', split: 'train', kind: 'labels', count: 60_000, sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
  { name: 't10k-images-idx3-ubyte', split: 'test', kind: 'images', count: 10_000, sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
  { name: 't10k-labels-idx1-ubyte', split: 'test', kind: 'labels', count: 10_000, sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
];

/** A data file found on disk. */
export interface LocatedFile {
  file: DataFile;
  path: string;
}

/** What one directory holds: the files found there, and the base names that are not. */
export interface DirectoryContents {
  directory: string;
  exists: boolean;
  found: LocatedFile[];
  missing: string[];
}

/**
 * What is at `path`: 'file', 'directory', 'other', or undefined when nothing is there. Errors other
 * than "not found" (e.g. EACCES) are reported rather than passed off as a missing file.
 */
async function kindOf(path: string): Promise<'file' | 'directory' | 'other' | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fileError(path, `cannot access: ${(error as Error).message}`);
  }
}

/**
 * Looks for each file in `directory` as `<name>` or `<name>.gz`. The plain file wins when both
 * exist because it needs no decompression.
 */
export async function findInDirectory(directory: string): Promise<DirectoryContents> {
  const exists = (await kindOf(directory)) === 'directory';
  const found: LocatedFile[] = [];
  const missing: string[] = [];
  for (const file of DATA_FILES) {
    let path: string | undefined;
    for (const candidate of exists ? [join(directory, file.name), join(directory, `${file.name}.gz`)] : []) {
      if ((await kindOf(candidate)) === 'file') {
        path = candidate;
        break;
      }
    }
    if (path) found.push({ file, path });
    else missing.push(file.name);
  }
  return { directory, exists, found, missing };
}

/** Reads a file, gunzipping it if its name ends in `.gz`. */
async function readBytes(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw fileError(path, `cannot read: ${(error as Error).message}`);
  }
  if (!path.endsWith('.gz')) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (error) {
    throw fileError(path, `corrupt gzip data (${(error as Error).message}); the file is damaged or not gzip-compressed`);
  }
}

/** A verified file: its payload (a view, see parseIdx) and the SHA-256 of its decompressed bytes. */
export interface VerifiedFile {
  file: DataFile;
  payload: Uint8Array;
  sha256: string;
}

/**
 * Reads `path` as `file`: decompress, parse the IDX structure strictly, then compare the digest.
 * Structure is checked first so a damaged file gets a precise message ("truncated: expected N
 * bytes, found M") instead of a bare digest mismatch.
 */
export async function readVerified({ file, path }: LocatedFile): Promise<VerifiedFile> {
  const bytes = await readBytes(path);
  const payload = parseIdx(bytes, file, path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== file.sha256) {
    throw fileError(
      path,
      `digest mismatch: SHA-256 of the decompressed content is ${sha256}, expected ${file.sha256}; the file is corrupt or not the official Fashion-MNIST release`,
    );
  }
  return { file, payload, sha256 };
}
