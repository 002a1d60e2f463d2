/**
 * Runs the real Worker bundle in workerd, for Worker tests written in Node:
 *
 *   const worker = await startWorker();          // or { entry: 'test/worker/fixtures/probe-worker.ts' }
 *   const response = await worker.fetch('/v2/health/ready');
 *   await worker.dispose();
 *
 * The bundle is what `wrangler deploy` uploads (see bundle.ts); Miniflare serves it on a real
 * 127.0.0.1 port, so requests cross an HTTP connection as they do in production.
 */
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { workerBundle } from './bundle.ts';

/** A running Worker. */
export interface WorkerUnderTest {
  /** Base URL of the Worker on 127.0.0.1. */
  url: URL;
  /** fetch() against the Worker; `path` is resolved against `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  mf: Miniflare;
  /** wrangler's output directory: the bundled script and the .wasm/.bin modules it imports. */
  bundleDir: string;
  /** Stops workerd. */
  dispose(): Promise<void>;
}

/**
 * wrangler's default module rules, plus wrangler.toml's own. wrangler copies each imported
 * `.wasm`/`.bin` into its output as `<sha1>-<name>` and the script imports it by that relative path;
 * these rules give workerd the same module types wrangler uploads (CompiledWasm: a
 * WebAssembly.Module; Data: an ArrayBuffer; Text: a string).
 */
const MODULE_RULES = [
  { type: 'CompiledWasm' as const, include: ['**/*.wasm', '**/*.wasm?module'] },
  { type: 'Data' as const, include: ['**/*.bin'] },
  // One rule per type (Miniflare drops later ones); the last glob is wrangler.toml's rule for the
  // browser helper (worker/client/client.js), which wrangler outputs as <sha1>-client.js.
  { type: 'Text' as const, include: ['**/*.txt', '**/*.html', '**/*.sql', '**/*-client.js'] },
];

/**
 * Builds (or reuses) the bundle for `entry` (default: wrangler.toml `main`) and starts it.
 * `bindings` override wrangler.toml [vars] by name. `inspector` opens workerd's V8 inspector on a
 * free port (`mf.getInspectorURL()`), e.g. to read an isolate's heap figures. `images` binds
 * Cloudflare Images as IMAGES (wrangler.toml `[images] binding = "IMAGES"`), run locally by
 * Miniflare with sharp. `fullTfjsCore` bundles all of tfjs-core instead of the Worker's slim one.
 */
export async function startWorker(
  options: {
    bindings?: Record<string, string>;
    entry?: string;
    inspector?: boolean;
    images?: boolean;
    fullTfjsCore?: boolean;
  } = {},
): Promise<WorkerUnderTest> {
  const bundle = await workerBundle(options.entry, { fullTfjsCore: options.fullTfjsCore ?? false });
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(bundle.dir, bundle.script),
    modulesRoot: bundle.dir,
    modulesRules: MODULE_RULES,
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
    bindings: { ...bundle.vars, ...options.bindings },
    // A fixed placeholder `request.cf`: by default Miniflare downloads one from Cloudflare.
    cf: false,
    host: '127.0.0.1',
    port: 0,
    ...(options.inspector ? { inspectorPort: 0 } : {}),
    ...(options.images ? { images: { binding: 'IMAGES' } } : {}),
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  return {
    url,
    fetch: (path, init) => fetch(new URL(path, url), init),
    mf,
    bundleDir: bundle.dir,
    dispose: () => mf.dispose(),
  };
}
