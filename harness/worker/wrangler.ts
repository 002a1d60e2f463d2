/** Runs the project's own wrangler CLI offline, for the Worker test bundles and the benchmarks. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../project-root.ts';

const WRANGLER = join(PROJECT_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/**
 * `wrangler <args>` in the repository root; its stdout. No telemetry, and no banner: printing it
 * makes wrangler look for a newer version online. Killed after `timeoutMs` (0: never); a failure
 * throws `failure` (default: the command) with wrangler's output.
 */
export async function wrangler(
  args: string[],
  options: { timeoutMs?: number; failure?: string } = {},
): Promise<string> {
  const { timeoutMs = 120_000, failure = `wrangler ${args.join(' ')}` } = options;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [WRANGLER, ...args], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        NO_COLOR: '1',
      },
      maxBuffer: 16 << 20,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${failure} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
