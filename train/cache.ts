/**
 * Build caching: the model is retrained only when something that determines its bytes changed —
 * the data, the training configuration, or the code that trains and writes it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';

/** Source folders whose code decides the asset's bytes. */
const CODE_DIRS = ['train', 'classifier'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|cc|h)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function tfjsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@tensorflow/tfjs/package.json') as { version: string }).version;
}

/** A digest over everything that decides the trained asset; equal keys mean an equal asset. */
export function buildKey(inputs: Record<string, unknown>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ ...inputs, tfjs: tfjsVersion() }));
  for (const file of CODE_DIRS.flatMap((dir) => sourceFiles(join(PROJECT_ROOT, dir)))) {
    hash.update(relative(PROJECT_ROOT, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** SHA-256 hex of `bytes`: for an asset, the digest `sha256sum` prints and clients see. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 hex of a file's bytes. */
export function fileSha256(path: string): string {
  return sha256Hex(readFileSync(path));
}

/**
 * True when `assetPath` exists, its model card records `key`, and the asset's bytes still match
 * the digest in the card (an edited or truncated asset is rebuilt, not trusted).
 */
export function isUpToDate(assetPath: string, cardPath: string, key: string): boolean {
  if (!existsSync(assetPath) || !existsSync(cardPath)) return false;
  try {
    const card = JSON.parse(readFileSync(cardPath, 'utf8')) as {
      buildKey?: string;
      asset?: { sha256?: string };
    };
    return card.buildKey === key && card.asset?.sha256 === fileSha256(assetPath);
  } catch {
    return false;
  }
}
