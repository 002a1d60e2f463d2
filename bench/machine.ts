/** The machine and software a benchmark ran on, for the report. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';

/** What the figures depend on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** Versions of the packages that run or build the benchmarked code. */
  packages: Record<string, string>;
  /** 1-minute load average when the run started and ended: above the core count means contention. */
  loadAverageStart: number;
  loadAverageEnd?: number;
}

const PACKAGES = [
  'workerd',
  'wrangler',
  'miniflare',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  'autocannon',
];

function version(name: string): string {
  const manifest = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** The 1-minute load average, rounded. */
export const currentLoad = (): number => Math.round(loadavg()[0]! * 100) / 100;

/** Describes this machine now. */
export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, version(name)])),
    loadAverageStart: currentLoad(),
  };
}
