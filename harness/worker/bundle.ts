/**
 * Builds the real Worker bundle with the project's wrangler (`wrangler deploy --dry-run --outdir`,
 * which needs no network) into .cache/worker-bundles/, for start-worker.ts.
 *
 * A build takes several seconds and every Worker test file needs one, so builds are cached by a
 * digest of their inputs: the entry, the source files esbuild read for the entry's last build (its
 * metafile), what every bundle imports as a module or builds first (SHARED_INPUTS), and the lock
 * file for node_modules. Test files of one run (separate processes) and later runs reuse a bundle
 * until an input changes. A new import can only come from an edit to a file already in the digest,
 * so the previous build's list is enough to know whether the bundle is stale.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Json } from 'miniflare';
import { PROJECT_ROOT } from '../../project-root.ts';
import { wrangler } from './wrangler.ts';

const CACHE_DIR = join(PROJECT_ROOT, '.cache', 'worker-bundles');
/**
 * Inputs of every bundle that esbuild's metafile does not list: the modules wrangler copies as they
 * are (the model assets, the demo page, the browser helper), what the [build] command compiles the
 * trimmed .wasm from, the config, and the lock file standing for node_modules.
 */
const SHARED_INPUTS = [
  'worker',
  'classifier',
  'models',
  'scripts',
  'wrangler.toml',
  'package-lock.json',
];

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

/** The file listing the source files of a target's last build (relative to the project root). */
const inputsListOf = (slug: string): string => join(CACHE_DIR, `${slug}.inputs.json`);

/** Source files (not node_modules) esbuild read for a build, from the metafile wrangler wrote. */
async function sourceInputs(metafile: string): Promise<string[]> {
  const { inputs } = JSON.parse(await readFile(metafile, 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  return Object.keys(inputs)
    .filter((input) => !input.includes('node_modules') && !input.startsWith('('))
    .map((input) => relative(PROJECT_ROOT, resolve(PROJECT_ROOT, input)));
}

/** Digest of every input that can change the bundle or its settings, given its source files. */
async function inputDigest(entry: string | undefined, sources: readonly string[]): Promise<string> {
  const roots = [...SHARED_INPUTS, ...sources].map((root) => resolve(PROJECT_ROOT, root));
  if (entry) roots.push(entry);
  const files = [...new Set((await Promise.all(roots.map(filesUnder))).flat())].sort();
  const hash = createHash('sha256').update(
    `entry:${entry ? relative(PROJECT_ROOT, entry) : '(main)'}\n`,
  );
  for (const file of files)
    hash.update(`${relative(PROJECT_ROOT, file)}\n`).update(await readFile(file));
  return hash.digest('hex').slice(0, 16);
}

/** The source files of the entry's last build (none before the first). */
async function lastSources(slug: string): Promise<string[]> {
  const listed = await readFile(inputsListOf(slug), 'utf8').catch(() => '[]');
  return JSON.parse(listed) as string[];
}

/** wrangler.toml as wrangler itself reads it; imported only on a cache miss, as it loads slowly. */
async function readWranglerConfig() {
  const { unstable_readConfig } = await import('wrangler');
  return unstable_readConfig(
    { config: join(PROJECT_ROOT, 'wrangler.toml') },
    { hideWarnings: true },
  );
}

/** The settings of wrangler.toml needed to run a bundle as wrangler would deploy it. */
async function deploySettings(): Promise<Omit<WorkerBundle, 'dir' | 'script'>> {
  const config = await readWranglerConfig();
  if (!config.compatibility_date) throw new Error('wrangler.toml sets no compatibility_date');
  return {
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    vars: config.vars as Record<string, Json>,
  };
}

/** The package wrangler.toml [alias] replaces with the Worker's slim stand-in. */
const TFJS_CORE = '@tensorflow/tfjs-core';

/**
 * wrangler.toml without its alias of TFJS_CORE, for entries that need all of tfjs-core (the compute
 * benchmark also runs tfjs' pure-JS `cpu` backend): wrangler 4.86's deploy ignores --alias, so the
 * config itself must differ. Written beside wrangler.toml because wrangler resolves its relative
 * paths against the config's directory.
 */
async function fullTfjsCoreConfig(): Promise<string> {
  if (!(await readWranglerConfig()).alias?.[TFJS_CORE])
    throw new Error(`wrangler.toml [alias] no longer replaces ${TFJS_CORE}`);
  const toml = await readFile(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const aliasLine = new RegExp(`^"${TFJS_CORE}"\\s*=.*\\n`, 'm');
  const path = join(PROJECT_ROOT, '.wrangler-full-tfjs-core.toml');
  const scratch = `${path}.tmp-${process.pid}`;
  await writeFile(
    scratch,
    `# Generated by harness/worker/bundle.ts from wrangler.toml. Do not edit.\n${toml.replace(aliasLine, '')}`,
  );
  await rename(scratch, path);
  return path;
}

/** What to build: the entry (undefined: wrangler.toml `main`), and whether it gets all of tfjs-core. */
interface Target {
  entry: string | undefined;
  fullTfjsCore: boolean;
  /** Names the target's cache entries. */
  slug: string;
}

async function build(target: Target, digest: string): Promise<WorkerBundle> {
  const { entry, slug } = target;
  const dir = join(CACHE_DIR, `${slug}-${digest}`);
  const cached = await readFile(join(dir, 'bundle.json'), 'utf8').catch(() => undefined);
  if (cached) return { ...(JSON.parse(cached) as Omit<WorkerBundle, 'dir'>), dir };

  // Build beside the final directory and rename, so a concurrent test process never sees half a build.
  const scratch = `${dir}.tmp-${process.pid}`;
  const metafile = `${scratch}.meta.json`;
  await rm(scratch, { recursive: true, force: true });
  const config = target.fullTfjsCore ? ['--config', await fullTfjsCoreConfig()] : [];
  const args = [
    'deploy',
    '--dry-run',
    '--outdir',
    scratch,
    '--metafile',
    metafile,
    ...config,
    ...(entry ? [entry] : []),
  ];
  // No time limit: a test waits for its bundle however long the build takes.
  await wrangler(args, {
    timeoutMs: 0,
    failure: `wrangler build of ${entry ?? 'wrangler.toml main'}`,
  });
  // Modules wrangler copies by a rule (the Text-module browser helper among them) are <sha1>-<name>.
  const scripts = (await readdir(scratch)).filter(
    (name) => name.endsWith('.js') && !/^[0-9a-f]{40}-/.test(name),
  );
  if (scripts.length !== 1)
    throw new Error(`expected one script in wrangler's output, found: ${scripts.join(', ')}`);
  const settings = { script: scripts[0]!, ...(await deploySettings()) };
  await writeFile(join(scratch, 'bundle.json'), JSON.stringify(settings, null, 2));
  // Named by the digest of what this build read, which the next lookup computes from the same list.
  const sources = await sourceInputs(metafile);
  await rm(metafile, { force: true });
  await writeFileAtomically(inputsListOf(slug), JSON.stringify(sources, null, 2));
  const built = join(CACHE_DIR, `${slug}-${await inputDigest(entry, sources)}`);
  try {
    await rename(scratch, built);
  } catch {
    await rm(scratch, { recursive: true, force: true }); // another process finished the same build first
  }
  await pruneOlderBuilds(slug, built);
  return { ...settings, dir: built };
}

async function writeFileAtomically(path: string, text: string): Promise<void> {
  const scratch = `${path}.tmp-${process.pid}`;
  await writeFile(scratch, text);
  await rename(scratch, path);
}

/** Removes earlier builds of the same target, so the cache holds one bundle per target. */
async function pruneOlderBuilds(slug: string, keep: string): Promise<void> {
  const stale = (await readdir(CACHE_DIR)).filter(
    (name) => name.startsWith(`${slug}-`) && !name.includes('.tmp-'),
  );
  await Promise.all(
    stale
      .map((name) => join(CACHE_DIR, name))
      .filter((path) => path !== keep)
      .map((path) => rm(path, { recursive: true, force: true })),
  );
}

const builds = new Map<string, Promise<WorkerBundle>>();

/**
 * The bundle for `entry` (a path relative to the repository root, or absolute; default: the
 * wrangler.toml `main`), built at most once per process and reused while its inputs are unchanged.
 * `fullTfjsCore` bundles all of tfjs-core instead of the Worker's slim stand-in.
 */
export function workerBundle(
  entry?: string,
  options: { fullTfjsCore?: boolean } = {},
): Promise<WorkerBundle> {
  const absolute = entry === undefined ? undefined : resolve(PROJECT_ROOT, entry);
  const fullTfjsCore = options.fullTfjsCore ?? false;
  const name = absolute ? relative(PROJECT_ROOT, absolute).replace(/[^A-Za-z0-9.]+/g, '_') : 'main';
  const target: Target = {
    entry: absolute,
    fullTfjsCore,
    slug: fullTfjsCore ? `${name}+full-tfjs-core` : name,
  };
  let pending = builds.get(target.slug);
  if (!pending) {
    pending = (async () => {
      await mkdir(CACHE_DIR, { recursive: true });
      return build(target, await inputDigest(absolute, await lastSources(target.slug)));
    })();
    // A failed build is not cached: the next caller gets a fresh attempt and a fresh error.
    pending.catch(() => builds.delete(target.slug));
    builds.set(target.slug, pending);
  }
  return pending;
}
