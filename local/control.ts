/**
 * Stopping a stack (all of it, or one broker) and reading its status, from the state file.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fetchMetadata } from '../lib/kafka-probe.js';
import { stopProcess } from './processes.js';
import { zookeeperOk } from './probes.js';
import { isRunning, LOOPBACK, readState, writeState, type MemberRole, type StackState } from './state.js';

export interface DownResult {
  readonly stopped: Array<{ member: string; pid: number; how: 'stopped' | 'killed' | 'absent' }>;
}

/**
 * Stops the processes recorded in the state file: brokers first (each does a controlled
 * shutdown), then ZooKeeper. `purge` also deletes data and logs.
 */
export async function stackDown(dir: string, options: { purge?: boolean; graceMs?: number } = {}): Promise<DownResult> {
  const state = readState(dir);
  const stopped: DownResult['stopped'] = [];
  if (!state) {
    if (options.purge) rmSync(resolve(dir), { recursive: true, force: true });
    return { stopped };
  }
  const brokers = state.members.filter((m) => m.role === 'broker');
  // Brokers in parallel: the last one alive cannot finish a controlled shutdown alone anyway,
  // and sequential stops would multiply the wait.
  const results = await Promise.all(
    brokers.map(async (m) => ({ m, how: m.pid ? await stopProcess(m.pid, m.configFile, options.graceMs ?? 30_000) : ('absent' as const) })),
  );
  for (const { m, how } of results) {
    if (m.pid) stopped.push({ member: `broker ${m.id}`, pid: m.pid, how });
    m.pid = null;
  }
  for (const m of state.members.filter((x) => x.role === 'zookeeper')) {
    if (m.pid) stopped.push({ member: 'zookeeper', pid: m.pid, how: await stopProcess(m.pid, m.configFile, options.graceMs ?? 15_000) });
    m.pid = null;
  }
  if (options.purge) rmSync(state.dir, { recursive: true, force: true });
  else writeState(state);
  return { stopped };
}

/** Stops one broker (for failure tests and rolling restarts); `kill` skips the graceful part. */
export async function stopBroker(dir: string, id: number, options: { kill?: boolean } = {}): Promise<void> {
  const state = readState(dir);
  const m = state?.members.find((x) => x.role === 'broker' && x.id === id);
  if (!state || !m) throw new Error(`no broker ${id} in the stack at ${dir}`);
  if (m.pid) await stopProcess(m.pid, m.configFile, options.kill ? 0 : 30_000);
  m.pid = null;
  writeState(state);
}

export interface MemberStatus {
  readonly role: MemberRole;
  readonly id: number;
  readonly address: string;
  readonly pid: number | null;
  readonly running: boolean;
  readonly answering: boolean;
  readonly detail: string;
}

export async function stackStatus(dir: string): Promise<{ state: StackState | null; members: MemberStatus[] }> {
  const state = readState(dir);
  if (!state) return { state: null, members: [] };
  const members: MemberStatus[] = [];
  for (const m of state.members) {
    const running = isRunning(m);
    let answering = false;
    let detail = running ? '' : 'not running';
    if (running && m.role === 'zookeeper') {
      answering = await zookeeperOk(LOOPBACK, m.port);
      detail = answering ? 'imok' : 'no answer to ruok';
    } else if (running) {
      try {
        const md = await fetchMetadata(LOOPBACK, m.port, { timeoutMs: 2000, topics: null });
        answering = true;
        detail = `${md.brokers.length} broker(s), controller ${md.controllerId}, ${md.topics.filter((t) => !t.internal).length} topic(s)`;
      } catch (err) {
        detail = (err as Error).message;
      }
    }
    members.push({ role: m.role, id: m.id, address: `${LOOPBACK}:${m.port}`, pid: running ? m.pid : null, running, answering, detail });
  }
  return { state, members };
}
