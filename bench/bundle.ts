/**
 * Bundle size: what `wrangler deploy --dry-run --minify` would upload, raw and gzip, per module,
 * with the script broken down by package from esbuild's metafile.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PRESETS } from '../train/presets.ts';
import { wrangler } from '../harness/worker/wrangler.ts';

const DEFAULT_ASSET = basename(PRESETS.mlp.out);

/** One uploaded module. */
export interface ModuleSize {
  /** File name without wrangler's content-hash prefix. */
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** The whole upload. */
export interface BundleFigure {
  modules: ModuleSize[];
  /** wrangler's own "Total Upload: X KiB / gzip: Y KiB" figures, in KiB. */
  totalKiB: number;
  gzipKiB: number;
  /** Bytes each package (or project folder) contributes to the minified script, largest first. */
  scriptByPackage: { name: string; bytes: number }[];
}

interface Metafile {
  outputs: Record<
    string,
    { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }
  >;
}

/**
 * The gzip upload of the default build, in KiB: wrangler's figure less the (gzip -9) size of every
 * bundled model asset other than the default MLP's, i.e. of models built optionally, like the CNN.
 */
export function defaultBuildGzipKiB(bundle: BundleFigure): number {
  const optional = bundle.modules.filter(
    (m) => m.name.endsWith('.bin') && m.name !== DEFAULT_ASSET,
  );
  return bundle.gzipKiB - optional.reduce((sum, m) => sum + m.gzipBytes, 0) / 1024;
}

/** The package (node_modules) or top-level project folder an esbuild input path belongs to. */
function owner(path: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return inPackage ? inPackage[1]! : path.split('/').slice(0, 2).join('/');
}

function byPackage(meta: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    if (!output.entryPoint) continue;
    for (const [path, input] of Object.entries(output.inputs))
      totals.set(owner(path), (totals.get(owner(path)) ?? 0) + input.bytesInOutput);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Builds the production bundle (wrangler.toml main) minified into a temporary directory and measures it. */
export async function benchBundle(): Promise<BundleFigure> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bundle-'));
  try {
    const metafile = join(dir, 'meta.json');
    const out = join(dir, 'out');
    const stdout = await wrangler([
      'deploy',
      '--dry-run',
      '--minify',
      '--outdir',
      out,
      '--metafile',
      metafile,
    ]);
    const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(stdout);
    if (!total) throw new Error(`no "Total Upload" line in wrangler's output:\n${stdout}`);
    const files = (await readdir(out)).filter(
      (name) => !name.endsWith('.map') && name !== 'README.md',
    );
    const modules = await Promise.all(
      files.map(async (file) => {
        const bytes = await readFile(join(out, file));
        return {
          name: file.replace(/^[0-9a-f]{40}-/, ''),
          bytes: bytes.length,
          gzipBytes: gzipSync(bytes, { level: 9 }).length,
        };
      }),
    );
    return {
      modules: modules.sort((a, b) => b.gzipBytes - a.gzipBytes),
      totalKiB: Number(total[1]),
      gzipKiB: Number(total[2]),
      scriptByPackage: byPackage(JSON.parse(await readFile(metafile, 'utf8')) as Metafile).slice(
        0,
        12,
      ),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
