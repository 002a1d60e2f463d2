/**
 * Builds the real Worker bundle with the project's wrangler (`wrangler deploy --dry-run --outdir`,
 * which needs no network) into .cache/worker-bundles/, for test/worker/harness.ts.
 *
 * A build takes several seconds and every Worker test file needs one, so builds are cached by a
 * digest of their inputs: the entry, everything under INPUT_ROOTS, wrangler.toml and the lock file.
 * Test files of one run (separate processes) and later runs reuse a bundle until an input changes.
 * An entry importing source outside INPUT_ROOTS would not invalidate the cache: keep it inside.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Json } from 'miniflare';

/** Absolute path of the repository root. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_DIR = join(PROJECT_ROOT, '.cache', 'worker-bundles');
const INPUT_ROOTS = ['worker', 'asset', 'models', 'scripts', 'test/worker/fixtures', 'bench', 'wrangler.toml', 'package-lock.json'];
const WRANGLER = join(PROJECT_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/** A built bundle and the wrangler.toml settings needed to run it as wrangler would deploy it. */
export interface WorkerBundle {
  /** Directory holding wrangler's output: the script, plus each .wasm/.bin module it imports. */
  dir: string;
  /** File name of the bundled script in `dir`, named by wrangler after the entry (index.js). */
  script: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml [vars]: strings, or JSON values for tables. */
  vars: Record<string, Json>;
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => filesUnder(join(path, entry.name))));
  return nested.flat();
}

/** Digest of every input that can change the bundle or its settings. */
async function inputDigest(entry: string | undefined): Promise<string> {
  const roots = [...INPUT_ROOTS.map((root) => join(PROJECT_ROOT, root)), ...(entry ? [entry] : [])];
  const files = [...new Set((await Promise.all(roots.map(filesUnder))).flat())].sort();
  const hash = createHash('sha256').update(`entry:${entry ? relative(PROJECT_ROOT, entry) : '(main)'}\n`);
  for (const file of files) hash.update(`${relative(PROJECT_ROOT, file)}\n`).update(await readFile(file));
  return hash.digest('hex').slice(0, 16);
}

/** wrangler.toml as wrangler itself reads it; imported only on a cache miss, as it loads slowly. */
async function readWranglerConfig(): Promise<Omit<WorkerBundle, 'dir' | 'script'>> {
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: join(PROJECT_ROOT, 'wrangler.toml') }, { hideWarnings: true });
  if (!config.compatibility_date) throw new Error('wrangler.toml sets no compatibility_date');
  return {
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    vars: config.vars as Record<string, Json>,
  };
}

async function build(entry: string | undefined, slug: string, digest: string): Promise<WorkerBundle> {
  const dir = join(CACHE_DIR, `${slug}-${digest}`);
  const cached = await readFile(join(dir, 'bundle.json'), 'utf8').catch(() => undefined);
  if (cached) return { ...(JSON.parse(cached) as Omit<WorkerBundle, 'dir'>), dir };

  // Build beside the final directory and rename, so a concurrent test process never sees half a build.
  const scratch = `${dir}.tmp-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', scratch, ...(entry ? [entry] : [])];
  try {
    await promisify(execFile)(process.execPath, args, {
      cwd: PROJECT_ROOT,
      // No telemetry, and no banner: printing it makes wrangler look for a newer version online.
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', NO_COLOR: '1' },
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`wrangler build of ${entry ?? 'wrangler.toml main'} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  const scripts = (await readdir(scratch)).filter((name) => name.endsWith('.js'));
  if (scripts.length !== 1) throw new Error(`expected one script in wrangler's output, found: ${scripts.join(', ')}`);
  const settings = { script: scripts[0]!, ...(await readWranglerConfig()) };
  await writeFile(join(scratch, 'bundle.json'), JSON.stringify(settings, null, 2));
  try {
    await rename(scratch, dir);
  } catch {
    await rm(scratch, { recursive: true, force: true }); // another process finished the same build first
  }
  await pruneOlderBuilds(slug, dir);
  return { ...settings, dir };
}

/** Removes earlier builds of the same entry, so the cache holds one bundle per entry. */
async function pruneOlderBuilds(slug: string, keep: string): Promise<void> {
  const stale = (await readdir(CACHE_DIR)).filter((name) => name.startsWith(`${slug}-`) && !name.includes('.tmp-'));
  await Promise.all(
    stale.map((name) => join(CACHE_DIR, name)).filter((path) => path !== keep).map((path) => rm(path, { recursive: true, force: true })),
  );
}

const builds = new Map<string, Promise<WorkerBundle>>();

/**
 * The bundle for `entry` (a path relative to the repository root, or absolute; default: the
 * wrangler.toml `main`), built at most once per test process and reused while its inputs are unchanged.
 */
export function workerBundle(entry?: string): Promise<WorkerBundle> {
  const absolute = entry === undefined ? undefined : resolve(PROJECT_ROOT, entry);
  const key = absolute ?? '(main)';
  let pending = builds.get(key);
  if (!pending) {
    const slug = absolute ? relative(PROJECT_ROOT, absolute).replace(/[^A-Za-z0-9.]+/g, '_') : 'main';
    pending = (async () => {
      await mkdir(CACHE_DIR, { recursive: true });
      return build(absolute, slug, await inputDigest(absolute));
    })();
    // A failed build is not cached: the next caller gets a fresh attempt and a fresh error.
    pending.catch(() => builds.delete(key));
    builds.set(key, pending);
  }
  return pending;
}
