/**
 * wrangler.toml's [build] command (run by `wrangler deploy`, `wrangler dev`, `wrangler check
 * startup` and the test harness's dry-run builds): checks that the model is built
 * (require-model.ts), then writes the trimmed tfjs wasm binary (wasm-trim.ts) unless the one on
 * disk was made from the same inputs.
 */
import './require-model.ts';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  SIMD_SOURCE,
  TRIMMED_OUTPUT,
  trimInputsDigest,
  trimWasm,
  usedKernelExports,
} from './wasm-trim.ts';

const STAMP = `${TRIMMED_OUTPUT}.sha256`;

const source = new Uint8Array(await readFile(SIMD_SOURCE));
const keep = usedKernelExports();
const digest = await trimInputsDigest(source, keep);
const stamp = await readFile(STAMP, 'utf8').catch(() => '');
const current =
  stamp === digest &&
  (await readFile(TRIMMED_OUTPUT).then(
    () => true,
    () => false,
  ));
if (!current) {
  const trimmed = await trimWasm(source, keep);
  await mkdir(dirname(TRIMMED_OUTPUT), { recursive: true });
  // Written beside and renamed: parallel test processes may run this build at the same time.
  const scratch = `${TRIMMED_OUTPUT}.tmp-${process.pid}`;
  await writeFile(scratch, trimmed);
  await rename(scratch, TRIMMED_OUTPUT);
  await writeFile(`${STAMP}.tmp-${process.pid}`, digest);
  await rename(`${STAMP}.tmp-${process.pid}`, STAMP);
  const kib = (bytes: Uint8Array): string =>
    `${(bytes.length / 1024).toFixed(1)} KiB (gzip ${(gzipSync(bytes).length / 1024).toFixed(1)})`;
  console.log(
    `tfjs wasm trimmed to the kernels ${keep.join(', ')}: ${kib(source)} -> ${kib(trimmed)}`,
  );
}
