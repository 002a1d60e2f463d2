/**
 * Downloads the compressed IDX files from the official Fashion-MNIST mirror. Nothing here is
 * trusted: the caller verifies downloaded files exactly like files found on disk.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Presets, SingleBar } from 'cli-progress';
import { DataError, HOW_TO_GET_DATA, fileError } from './errors.ts';

/** The official mirror named in the Fashion-MNIST README; files are `<base>/<name>.gz`. */
export const OFFICIAL_MIRROR = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';

/** How to download. */
export interface DownloadOptions {
  /** Where to fetch `<name>.gz` from; the official mirror unless a test serves the files itself. */
  baseUrl?: string;
  /** Receives one line per download, and the progress lines when there is no bar. */
  log: (line: string) => void;
  /** Draw a cli-progress bar on stderr; default: only when stderr is a TTY, since a redrawn bar garbles CI logs. */
  progressBar?: boolean;
}

/** Reports bytes received so far. */
interface Progress {
  update(received: number): void;
  stop(): void;
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

function startProgress(name: string, total: number, options: DownloadOptions): Progress {
  if (options.progressBar ?? process.stderr.isTTY === true) {
    const bar = new SingleBar(
      { format: `  ${name} [{bar}] {percentage}% | {received}/{size} MB | ETA {eta}s`, hideCursor: true },
      Presets.shades_classic,
    );
    // Without a Content-Length the total is unknown; 0 would divide by zero, 1 just pins the bar.
    bar.start(Math.max(total, 1), 0, { received: '0.0', size: total > 0 ? megabytes(total) : '?' });
    return { update: (received) => bar.update(received, { received: megabytes(received) }), stop: () => bar.stop() };
  }
  // Plain lines at each quarter: enough to show a slow download is alive without flooding the log.
  let quarter = 1;
  return {
    update(received) {
      while (total > 0 && quarter <= 4 && received >= (total * quarter) / 4) {
        options.log(`  ${name}: ${quarter * 25}% (${megabytes(received)}/${megabytes(total)} MB)`);
        quarter += 1;
      }
    },
    stop() {},
  };
}

/** Streams one URL to `target` through a temp file, so an interrupted download never leaves a file under the real name. */
async function downloadOne(url: string, target: string, name: string, options: DownloadOptions): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const cause = (error as Error).cause;
    throw fileError(target, `download from ${url} failed: ${(error as Error).message}${cause instanceof Error ? ` (${cause.message})` : ''}`);
  }
  if (!response.ok || response.body === null) {
    throw fileError(target, `download from ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  // A missing or malformed Content-Length gives 0: size unknown.
  const total = Number(response.headers.get('content-length')) || 0;
  options.log(`Downloading ${url} (${total > 0 ? `${megabytes(total)} MB` : 'size unknown'}) to ${target}`);

  const temp = `${target}.${process.pid}.partial`;
  const progress = startProgress(name, total, options);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      progress.update(received);
      callback(null, chunk);
    },
  });
  try {
    // The DOM and Node typings describe the same WHATWG stream differently; at runtime they are one class.
    await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), counter, createWriteStream(temp));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw fileError(target, `download from ${url} failed after ${received} bytes: ${(error as Error).message}`);
  } finally {
    progress.stop();
  }
}

/**
 * Downloads `<name>.gz` for each base name into `directory` (created if needed), one file at a
 * time so the progress output stays readable. Throws a DataError naming the file and URL on failure.
 */
export async function downloadFiles(names: readonly string[], directory: string, options: DownloadOptions): Promise<void> {
  const baseUrl = options.baseUrl ?? OFFICIAL_MIRROR;
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new DataError(`Cannot create the Fashion-MNIST download directory ${directory}: ${(error as Error).message}\n${HOW_TO_GET_DATA}`);
  }
  for (const name of names) {
    await downloadOne(`${baseUrl}/${name}.gz`, join(directory, `${name}.gz`), name, options);
  }
}
