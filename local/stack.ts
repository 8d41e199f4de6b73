/**
 * The local stack: real Apache Kafka on loopback, in ZooKeeper mode (Kafka 3.9 + ZooKeeper)
 * or KRaft mode (Kafka 4, combined broker+controller nodes).
 *
 * Everything the stack owns lives under one folder (`stack.dir`):
 *
 *   <dir>/stack.json            what runs: mode, ports, pids (the only source for `down`)
 *   <dir>/zookeeper/            zoo.cfg, data, zookeeper.log
 *   <dir>/node-<id>/            server.properties, data, server.log, stdout.log
 *
 * `up` is idempotent: it brings the recorded stack to "every process running and
 * answering", restarting members that died and leaving running ones alone. It refuses to
 * start a stack of another shape over a running one. After an unclean end (processes
 * killed, a reboot) it keeps the data and waits out the ZooKeeper registrations the dead
 * brokers left behind (see `recoverStaleRegistrations`).
 *
 * This file is the stack's life cycle (`stackUp` here; down, status and the state re-exported)
 * for callers outside local/. The parts, one job each: state.ts (members, stack.json),
 * launch.ts (JVMs), zk-sessions.ts (stale ZooKeeper sessions), probes.ts (ruok, metadata
 * waits), control.ts (down, stop one broker, status), processes.ts (detached processes),
 * render.ts (config files), jars.ts (the Kafka distribution).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { distributionFor, ensureKafkaJars, type FetchProgress } from './jars.js';
import { newClusterId, prepareBroker, startBroker, startZookeeper } from './launch.js';
import { assertPortFree, fileSize, findJava, stopProcess } from './processes.js';
import { waitForBrokers, waitForZookeeper } from './probes.js';
import type { StackConfig } from './settings.js';
import { bootstrapOf, isRunning, layoutOf, LOOPBACK, planMembers, readState, samePorts, writeState, type MemberState, type StackState } from './state.js';
import { readText, recoverStaleRegistrations, staleSessionExpiresBy, type OnDeadBrokers } from './zk-sessions.js';

export { stackDown, stackStatus, stopBroker, type DownResult, type MemberStatus } from './control.js';
export { bootstrapOf, isRunning, readState, type MemberState, type StackState } from './state.js';

export interface StackEvents {
  onFetchProgress?: FetchProgress;
  onStep?: (message: string) => void;
}

/**
 * Starts the stack (or the members of it that are not running) and returns once every
 * broker answers a metadata request listing all brokers.
 */
export async function stackUp(config: StackConfig, events: StackEvents = {}): Promise<{ state: StackState; started: number }> {
  const step = events.onStep ?? (() => undefined);
  const dir = resolve(config.dir);
  const existing = readState(dir);
  if (existing && existing.members.some(isRunning)) {
    const brokers = existing.members.filter((m) => m.role === 'broker').length;
    if (existing.mode !== config.mode || brokers !== config.brokers) {
      throw new Error(
        `a ${existing.mode} stack with ${brokers} broker(s) is running from ${dir}; ` +
          `run \`tickstream stack down\` before starting a ${config.mode} stack with ${config.brokers}`,
      );
    }
  }

  const java = findJava(17);
  const dist = distributionFor(config.mode);
  const { libsDir, fetched } = await ensureKafkaJars(dist, config.cacheDir, events.onFetchProgress);
  if (fetched) step(`fetched Kafka ${dist.kafkaVersion} jars into ${libsDir}`);

  const sameShape = existing && existing.mode === config.mode && existing.kafkaVersion === dist.kafkaVersion &&
    existing.members.filter((m) => m.role === 'broker').length === config.brokers &&
    samePorts(existing.members, planMembers(config, dir));
  const state: StackState = sameShape
    ? { ...existing, libsDir, heap: config.heap }
    : {
        version: 1,
        mode: config.mode,
        kafkaVersion: dist.kafkaVersion,
        dir,
        libsDir,
        heap: config.heap,
        clusterId: config.mode === 'kraft' ? newClusterId() : null,
        members: planMembers(config, dir),
      };
  if (!sameShape && existing) {
    // A stopped stack of another shape: its data would not match the new layout.
    step(`replacing the stopped ${existing.mode} stack in ${dir}`);
    for (const m of existing.members) rmSync(m.dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });

  const toStart = state.members.filter((m) => !isRunning(m));
  for (const m of toStart) {
    await assertPortFree(LOOPBACK, m.port, m.role === 'zookeeper' ? 'ZooKeeper' : `broker ${m.id}`);
    if (m.controllerPort !== undefined) await assertPortFree(LOOPBACK, m.controllerPort, `KRaft controller ${m.id}`);
  }
  if (toStart.length === 0) {
    step(`stack already running (${state.mode}, ${config.brokers} broker(s))`);
    await waitForBrokers(state, config.startTimeoutSec * 1000);
    return { state, started: 0 };
  }

  const layout = layoutOf(state);
  const started: MemberState[] = [];
  try {
    // Since when ZooKeeper has been counting down the sessions of processes that are gone:
    // a restarted ZooKeeper restores them from its snapshot with a full timeout.
    let sessionsSince = Date.now();
    const zk = toStart.find((m) => m.role === 'zookeeper');
    if (zk) {
      startZookeeper(state, zk, java);
      started.push(zk);
      writeState(state);
      step(`ZooKeeper starting on ${LOOPBACK}:${zk.port} (pid ${zk.pid})`);
      await waitForZookeeper(zk, config.startTimeoutSec * 1000);
      sessionsSince = Date.now();
    }
    const brokersToStart = toStart.filter((x) => x.role === 'broker');
    // Config and KRaft storage formatting for all nodes at once: each format is a JVM start.
    await Promise.all(
      brokersToStart.map((m) => prepareBroker(state, m, layout, layout.nodes.find((n) => n.id === m.id)!, java, dist.kafkaMajor)),
    );
    const logStarts = new Map<number, number>();
    const launch = (m: MemberState): void => {
      logStarts.set(m.id, fileSize(m.logFile));
      startBroker(state, m, java, dist.kafkaMajor);
      writeState(state);
    };
    for (const m of brokersToStart) {
      launch(m);
      started.push(m);
      step(`broker ${m.id} starting on ${LOOPBACK}:${m.port} (pid ${m.pid})`);
    }
    const zkMember = state.members.find((m) => m.role === 'zookeeper');
    const recover: OnDeadBrokers | undefined =
      zkMember && brokersToStart.length > 0
        ? (dead, deadline) =>
            recoverStaleRegistrations(dead, deadline, {
              logStarts,
              expiresBy: staleSessionExpiresBy(sessionsSince, readText(brokersToStart[0]!.configFile), readText(zkMember.configFile)),
              relaunch: (m) => {
                launch(m);
                step(`broker ${m.id} starting again on ${LOOPBACK}:${m.port} (pid ${m.pid})`);
              },
              brokers: brokersToStart,
              step,
            })
        : undefined;
    await waitForBrokers(state, config.startTimeoutSec * 1000, recover);
  } catch (err) {
    // Leave nothing half-started behind; the logs stay for reading.
    for (const m of started.reverse()) {
      if (m.pid) await stopProcess(m.pid, m.configFile, 5_000);
      m.pid = null;
    }
    writeState(state);
    throw err;
  }
  step(`Kafka ${state.kafkaVersion} (${state.mode}) ready at ${bootstrapOf(state)}`);
  return { state, started: started.length };
}
