/**
 * Peak resident memory of a process during one piece of work, from /proc (Linux): the kernel's
 * high-water mark (VmHWM) is reset through clear_refs before the work and read after it. For
 * workerd this is the whole process (runtime, Miniflare's entry worker, the isolate): an upper
 * bound on what the isolate itself needed.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** A field of /proc/<pid>/status in bytes, or undefined when it cannot be read. */
function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bytes by which the summed peak RSS of `pids` rose above their RSS before `work`, or undefined
 * where /proc or clear_refs (writing "5" resets the peak) is unavailable.
 */
export async function peakGrowth(
  pids: number[],
  work: () => Promise<void>,
): Promise<number | undefined> {
  let before = 0;
  try {
    for (const pid of pids) {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      before += statusBytes(pid, 'VmRSS') ?? NaN;
    }
  } catch {
    return undefined;
  }
  await work();
  const peak = pids.reduce((sum, pid) => sum + (statusBytes(pid, 'VmHWM') ?? NaN), 0);
  return Number.isFinite(peak - before) ? Math.max(0, peak - before) : undefined;
}
