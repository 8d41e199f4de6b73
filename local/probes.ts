/**
 * Probes of a starting or running stack: ZooKeeper's `ruok`, brokers' metadata, and the
 * errors (with log tails) when a member dies or does not answer in time.
 */
import { Socket } from 'node:net';
import { fetchMetadata, type ClusterMetadata } from '../lib/kafka-probe.js';
import { sleep, waitFor } from '../lib/async.js';
import { tailFile } from './processes.js';
import { isRunning, LOOPBACK, type MemberState, type StackState } from './state.js';
import type { OnDeadBrokers } from './zk-sessions.js';

/** ZooKeeper's `ruok` four-letter command: answers `imok` once it serves. */
export function zookeeperOk(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = new Socket();
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.once('end', () => done(answer.startsWith('imok')));
    socket.connect(port, host, () => socket.write('ruok'));
  });
}

export async function waitForZookeeper(zk: MemberState, timeoutMs: number): Promise<void> {
  const ok = await waitFor(async () => {
    if (!isRunning(zk)) throw deadMemberError(zk);
    return zookeeperOk(LOOPBACK, zk.port);
  }, timeoutMs, 300);
  if (!ok) throw new Error(`ZooKeeper did not answer on ${LOOPBACK}:${zk.port} within ${timeoutMs / 1000}s.\n${logTails(zk)}`);
}

/**
 * Waits until every broker answers metadata listing all brokers of the stack. A broker that
 * exits fails the wait, unless `onDead` starts it again.
 */
export async function waitForBrokers(state: StackState, timeoutMs: number, onDead?: OnDeadBrokers): Promise<ClusterMetadata> {
  const brokers = state.members.filter((m) => m.role === 'broker');
  const deadline = Date.now() + timeoutMs;
  let last: ClusterMetadata | null = null;
  for (const b of brokers) {
    let lastError = 'no answer yet';
    for (;;) {
      // Every broker, not only `b`: with one dead, `b` never lists them all.
      const dead = brokers.filter((x) => !isRunning(x));
      if (dead.length > 0 && !(await onDead?.(dead, deadline))) throw deadMemberError(dead[0]!);
      try {
        const md = await fetchMetadata(LOOPBACK, b.port, { timeoutMs: 2000, topics: [] });
        if (md.brokers.length === brokers.length && md.controllerId >= 0) {
          last = md;
          break;
        }
        lastError = `it lists ${md.brokers.length} of ${brokers.length} brokers`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `broker ${b.id} (${LOOPBACK}:${b.port}) was not ready within ${timeoutMs / 1000}s: ${lastError}.\n${logTails(b)}`,
        );
      }
      await sleep(300);
    }
  }
  return last!;
}

function deadMemberError(m: MemberState): Error {
  const what = m.role === 'zookeeper' ? 'ZooKeeper' : `broker ${m.id}`;
  return new Error(`${what} (pid ${m.pid}) exited during start-up.\n${logTails(m)}`);
}

function logTails(m: MemberState): string {
  return `--- ${m.logFile} (last lines) ---\n${tailFile(m.logFile, 25)}\n--- ${m.stdoutFile} (last lines) ---\n${tailFile(m.stdoutFile, 15)}`;
}
