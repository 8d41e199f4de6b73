/**
 * What the benchmarks read from /proc (Linux): a process and its descendants (the tree is
 * counted so that a worker or helper process could not hide), their CPU time and their
 * memory, and the machine's load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = statFields(Number(entry))?.[1];
    if (ppid === undefined) continue;
    const list = children.get(Number(ppid)) ?? [];
    list.push(Number(entry));
    children.set(Number(ppid), list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1], utime [11], stime [12]). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone
  }
}

/**
 * User + system CPU seconds of this process's children that have ended and been waited for
 * (cutime + cstime of /proc/self/stat), their own children included. The difference across
 * one child's run is that child's whole tree's CPU, up to its last instruction: what a
 * sampled reading of a process that exits on its own would miss.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields(process.pid);
  return f ? (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND : 0;
}

/** User + system CPU seconds of the processes (all their threads). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of the processes now, MiB. */
export function rssMb(pids: readonly number[]): number {
  return pids.reduce((n, p) => n + statusKb(p, 'VmRSS'), 0) / 1024;
}

/** Sum of each process's own peak (VmHWM), MiB: an upper bound of the tree's peak. */
export function hwmMb(pids: readonly number[]): number {
  return pids.reduce((n, p) => n + statusKb(p, 'VmHWM'), 0) / 1024;
}

/**
 * Samples the tree's resident memory until stopped; `peak` is the largest sum seen, `hwm`
 * the largest sum of the processes' own peaks (VmHWM) seen: between two samples a process's
 * peak is not missed, so `hwm` bounds the true peak from above and `peak` from below.
 */
export class RssSampler {
  peak = 0;
  hwm = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(root: number, intervalMs = 250) {
    this.timer = setInterval(() => {
      const tree = processTree(root);
      this.peak = Math.max(this.peak, rssMb(tree));
      this.hwm = Math.max(this.hwm, hwmMb(tree));
    }, intervalMs);
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}
