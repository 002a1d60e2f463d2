/**
 * CPU time of the workerd processes behind Miniflare, read from /proc (Linux). On a shared machine
 * wall-clock throughput swings with whatever else runs, while the CPU a server spends per request
 * moves far less; where /proc is not available the figures are simply absent.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** Parent pid, command name and user + system CPU ticks of `pid`, or undefined if it cannot be read. */
function stat(pid: number): { ppid: number; comm: string; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces: fields are counted after it.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf('(') + 1, close),
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** Pids of the workerd processes descending from this process. */
function workerdPids(): Set<number> {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return new Set();
  }
  const stats = new Map(pids.map((pid) => [pid, stat(pid)]));
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 32; p = stats.get(p)?.ppid ?? 0, hops++)
      if (p === process.pid) return true;
    return false;
  };
  return new Set(pids.filter((pid) => stats.get(pid)?.comm.startsWith('workerd') && ours(pid)));
}

/** Measures the CPU time of the workerd processes that `start` launches. */
export async function withCpuMeter<T>(
  start: () => Promise<T>,
): Promise<{ value: T; pids: number[]; cpuSeconds: () => number | undefined }> {
  const before = workerdPids();
  const value = await start();
  const pids = [...workerdPids()].filter((pid) => !before.has(pid));
  return {
    value,
    pids,
    cpuSeconds() {
      if (pids.length === 0) return undefined;
      let ticks = 0;
      for (const pid of pids) {
        const figures = stat(pid);
        if (!figures) return undefined;
        ticks += figures.ticks;
      }
      return ticks / TICKS_PER_SECOND;
    },
  };
}
