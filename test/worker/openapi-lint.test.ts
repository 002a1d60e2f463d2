/**
 * The OpenAPI document the Worker serves passes Redocly's `recommended` rules with no error and no
 * warning: it is fetched from the running bundle (what clients and generators read) and linted with
 * the Redocly CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';

let worker: WorkerUnderTest;
const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(async () => {
  await worker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
}

it('lints clean against the recommended rules', async () => {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, await (await worker.fetch('/openapi.json')).text());
  const run = promisify(execFile)(
    'node_modules/.bin/redocly',
    ['lint', file, '--extends', 'recommended', '--format', 'json'],
    {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  // The CLI exits non-zero when it finds errors; its report is on stdout either way.
  const { stdout } = await run.catch((error: { stdout: string }) => error);
  const report = JSON.parse(stdout) as LintReport;
  const problems = report.problems.map(
    (p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`,
  );
  expect(problems).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
}, 60_000);
