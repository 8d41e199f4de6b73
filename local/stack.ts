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
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fetchMetadata, type ClusterMetadata } from '../lib/kafka-probe.js';
import { distributionFor, ensureKafkaJars, type FetchProgress } from './jars.js';
import {
  assertPortFree,
  fileSize,
  findJava,
  isOurProcess,
  readFrom,
  sleep,
  startDetached,
  stopProcess,
  tailFile,
  waitFor,
  type JavaInfo,
} from './processes.js';
import {
  brokerConfig,
  clusterIdFromBytes,
  log4j2Config,
  log4jConfig,
  loggingJvmArgs,
  zookeeperConfig,
  type NodeLayout,
  type StackLayout,
} from './render.js';
import type { MetadataMode, StackConfig } from './settings.js';

const execFileAsync = promisify(execFile);

export const LOOPBACK = '127.0.0.1';
const STATE_FILE = 'stack.json';

export type MemberRole = 'zookeeper' | 'broker';

export interface MemberState {
  readonly role: MemberRole;
  /** broker.id / node.id; 0 for ZooKeeper. */
  readonly id: number;
  readonly port: number;
  readonly controllerPort?: number;
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly stdoutFile: string;
  pid: number | null;
}

export interface StackState {
  readonly version: 1;
  readonly mode: MetadataMode;
  readonly kafkaVersion: string;
  readonly dir: string;
  readonly libsDir: string;
  readonly heap: string;
  readonly clusterId: string | null;
  readonly members: MemberState[];
}

export interface StackEvents {
  onFetchProgress?: FetchProgress;
  onStep?: (message: string) => void;
}

export function bootstrapOf(state: StackState): string {
  return state.members
    .filter((m) => m.role === 'broker')
    .map((m) => `${LOOPBACK}:${m.port}`)
    .join(',');
}

export function readState(dir: string): StackState | null {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

function writeState(state: StackState): void {
  const file = join(state.dir, STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

export function isRunning(member: MemberState): boolean {
  return isOurProcess(member.pid, member.configFile);
}

/** The members a stack of this shape has, with their ports and folders. Pure. */
export function planMembers(config: StackConfig, dir: string): MemberState[] {
  const members: MemberState[] = [];
  if (config.mode === 'zookeeper') {
    const zkDir = join(dir, 'zookeeper');
    members.push({
      role: 'zookeeper',
      id: 0,
      port: config.zookeeperPort,
      dir: zkDir,
      configFile: join(zkDir, 'zoo.cfg'),
      logFile: join(zkDir, 'zookeeper.log'),
      stdoutFile: join(zkDir, 'stdout.log'),
      pid: null,
    });
  }
  for (let i = 0; i < config.brokers; i++) {
    const id = i + 1;
    const nodeDir = join(dir, `node-${id}`);
    members.push({
      role: 'broker',
      id,
      port: config.port + i,
      ...(config.mode === 'kraft' ? { controllerPort: config.controllerPort + i } : {}),
      dir: nodeDir,
      configFile: join(nodeDir, 'server.properties'),
      logFile: join(nodeDir, 'server.log'),
      stdoutFile: join(nodeDir, 'stdout.log'),
      pid: null,
    });
  }
  return members;
}

function layoutOf(state: StackState, zookeeperPort?: number): StackLayout {
  const nodes: NodeLayout[] = state.members
    .filter((m) => m.role === 'broker')
    .map((m) => ({
      id: m.id,
      clientPort: m.port,
      ...(m.controllerPort !== undefined ? { controllerPort: m.controllerPort } : {}),
      dataDir: join(m.dir, 'data'),
      logDir: m.dir,
      rack: `local-${String.fromCharCode(97 + ((m.id - 1) % 3))}`,
    }));
  const zk = state.members.find((m) => m.role === 'zookeeper');
  return {
    mode: state.mode,
    host: LOOPBACK,
    nodes,
    ...(zk ? { zookeeperPort: zookeeperPort ?? zk.port, zookeeperDataDir: join(zk.dir, 'data') } : {}),
  };
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

/*
 * Stale ZooKeeper registrations.
 *
 * A ZooKeeper-mode broker registers as the ephemeral znode /brokers/ids/<id>, owned by its
 * ZooKeeper session. When the broker dies without closing the session (SIGKILL, a crash, a
 * reboot), the znode stays until ZooKeeper expires the session: zookeeper.session.timeout.ms
 * (18 s) after the last heartbeat, or, when ZooKeeper restarts too, 18 s after it restored
 * the session from its snapshot and log. A new broker with that id exits at start-up with
 * NodeExistsException. Worse, a failed `up` stopped ZooKeeper again a few seconds later,
 * before the session could expire, so every later `up` restored it again and failed the
 * same way until `down --purge` threw the data away.
 *
 * The fix waits the session out and starts the broker again. Why not the alternatives:
 *  - deleting /brokers/ids/<id> of a dead broker: does not suffice when the dead process was
 *    the controller (/controller is an ephemeral of the same session, and no broker takes
 *    over before it goes), deleting /controller too races with the election of a live
 *    broker, and it needs a ZooKeeper client the stack does not have (only a zookeeper-shell
 *    JVM), writing behind the Kafka controller's back what ZooKeeper does by itself anyway;
 *  - a shorter zookeeper.session.timeout.ms: it only shortens the wait, and a live broker on a
 *    busy laptop would then lose its session and leadership on a few seconds' stall (Kafka
 *    raised the default from 6 s to 18 s for that reason, KIP-537).
 * The trigger is the broker's own log line for exactly this failure, so a normal start pays
 * nothing; after an unclean end the first attempt is wasted (a few seconds) and the wait is
 * at most one session timeout. KRaft needs none of this: a node whose previous incarnation
 * is still registered with the controller retries by itself (DUPLICATE_BROKER_REGISTRATION)
 * until broker.session.timeout.ms (9 s) expires it.
 */

/** Kafka 3.9's zookeeper.session.timeout.ms when server.properties does not set it. */
const KAFKA_ZK_SESSION_TIMEOUT_MS = 18_000;
/** ZooKeeper's expirer thread and the close-session transaction take a moment after the deadline. */
const EXPIRY_MARGIN_MS = 1_000;
/** Pause before another attempt when a registration outlives the computed deadline. */
const STALE_RETRY_PAUSE_MS = 2_000;

/** True when a broker's start-up log shows it failed because /brokers/ids/<id> already existed. Pure. */
export function isStaleRegistrationFailure(log: string, brokerId: number): boolean {
  const line = new RegExp(`creating ephemeral at /brokers/ids/${brokerId}, node already exists`);
  return line.test(log) || (log.includes('NodeExistsException') && log.includes('KafkaZkClient.registerBroker'));
}

/**
 * When ZooKeeper has expired, at the latest, the session of a broker process that was gone
 * at `since` (or, for a ZooKeeper started then, whose session it restored then). ZooKeeper
 * clamps session timeouts to 2..20 ticks and expires sessions on tick boundaries. Pure.
 */
export function staleSessionExpiresBy(since: number, brokerProperties: string, zooCfg: string): number {
  const tick = Number(propertyOf(zooCfg, 'tickTime') ?? 2000);
  const requested = Number(propertyOf(brokerProperties, 'zookeeper.session.timeout.ms') ?? KAFKA_ZK_SESSION_TIMEOUT_MS);
  const timeout = Math.min(Math.max(requested, 2 * tick), 20 * tick);
  return since + timeout + tick + EXPIRY_MARGIN_MS;
}

/** The value of `key` in a Java properties text (the simple `key=value` lines we write). Pure. */
function propertyOf(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && line.slice(0, i).trim() === key) return line.slice(i + 1).trim();
  }
  return undefined;
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Called by `waitForBrokers` with the brokers found dead; true when they were started again. */
type OnDeadBrokers = (dead: MemberState[], deadline: number) => Promise<boolean>;

interface StaleRecovery {
  /** Size of each started broker's log before its latest start: its lines follow. */
  readonly logStarts: ReadonlyMap<number, number>;
  readonly expiresBy: number;
  readonly brokers: readonly MemberState[];
  readonly relaunch: (m: MemberState) => void;
  readonly step: (message: string) => void;
}

/**
 * When every dead broker died of a stale registration, waits until ZooKeeper has expired
 * the old sessions and starts them again; false (the caller reports the death) otherwise.
 */
async function recoverStaleRegistrations(dead: MemberState[], deadline: number, r: StaleRecovery): Promise<boolean> {
  const diedStale = (m: MemberState): boolean =>
    r.logStarts.has(m.id) && !isRunning(m) && isStaleRegistrationFailure(readFrom(m.logFile, r.logStarts.get(m.id)!), m.id);
  if (!dead.every(diedStale)) return false;
  const waitMs = Math.max(r.expiresBy - Date.now(), STALE_RETRY_PAUSE_MS);
  const which = dead.map((m) => `broker ${m.id}`).join(', ');
  if (Date.now() + waitMs > deadline) {
    throw new Error(
      `${which} cannot register before ZooKeeper expires the session of the previous process (in about ` +
        `${Math.ceil(waitMs / 1000)}s), which is after the start-up timeout; run \`tickstream stack up\` again with a longer --timeout`,
    );
  }
  const previous = dead.length > 1 ? 'their previous processes, which' : 'its previous process, which';
  r.step(
    `${which} exited: ZooKeeper still holds the registration of ${previous} ended without shutting down (killed or ` +
      `crashed); waiting ${Math.ceil(waitMs / 1000)}s for ZooKeeper to expire the old session, then starting again (data is kept)`,
  );
  await sleep(waitMs);
  // Brokers that failed the same way during the wait go too, so one wait covers them all.
  for (const m of r.brokers.filter(diedStale)) r.relaunch(m);
  return true;
}

function samePorts(a: readonly MemberState[], b: readonly MemberState[]): boolean {
  return a.length === b.length && a.every((m, i) => m.port === b[i]!.port && m.controllerPort === b[i]!.controllerPort);
}

function newClusterId(): string {
  for (;;) {
    const id = clusterIdFromBytes(randomBytes(16));
    if (id) return id;
  }
}

function jvmArgs(state: StackState, heap: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    '-cp',
    `${state.libsDir}/*`,
  ];
}

function startZookeeper(state: StackState, zk: MemberState, java: JavaInfo): void {
  mkdirSync(join(zk.dir, 'data'), { recursive: true });
  writeFileSync(zk.configFile, zookeeperConfig(zk.port, join(zk.dir, 'data'), LOOPBACK));
  const log4jFile = join(zk.dir, 'log4j.properties');
  writeFileSync(log4jFile, log4jConfig(zk.logFile));
  const args = [
    ...jvmArgs(state, '256m'),
    `-Dlog4j.configuration=file:${log4jFile}`,
    '-Dzookeeper.admin.enableServer=false',
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    zk.configFile,
  ];
  zk.pid = startDetached(java.command, args, zk.stdoutFile, zk.dir).pid;
}

async function prepareBroker(
  state: StackState,
  m: MemberState,
  layout: StackLayout,
  node: NodeLayout,
  java: JavaInfo,
  kafkaMajor: number,
): Promise<void> {
  mkdirSync(node.dataDir, { recursive: true });
  writeFileSync(m.configFile, brokerConfig(layout, node));
  const loggingFile = join(m.dir, kafkaMajor >= 4 ? 'log4j2.properties' : 'log4j.properties');
  writeFileSync(loggingFile, kafkaMajor >= 4 ? log4j2Config(m.logFile) : log4jConfig(m.logFile));
  if (state.mode === 'kraft' && !existsSync(join(node.dataDir, 'meta.properties'))) {
    await formatStorage(state, m, java, loggingFile, kafkaMajor);
  }
}

/** `kafka-storage format`: KRaft nodes need their log dir stamped with the cluster id once. */
async function formatStorage(state: StackState, m: MemberState, java: JavaInfo, loggingFile: string, kafkaMajor: number): Promise<void> {
  const args = [
    ...jvmArgs(state, '256m'),
    ...loggingJvmArgs(kafkaMajor, loggingFile, m.dir),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    state.clusterId!,
    '-c',
    m.configFile,
    '--ignore-formatted',
  ];
  try {
    await execFileAsync(java.command, args, { encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`formatting the KRaft storage of node ${m.id} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

function startBroker(state: StackState, m: MemberState, java: JavaInfo, kafkaMajor: number): void {
  const loggingFile = join(m.dir, kafkaMajor >= 4 ? 'log4j2.properties' : 'log4j.properties');
  const args = [...jvmArgs(state, state.heap), ...loggingJvmArgs(kafkaMajor, loggingFile, m.dir), 'kafka.Kafka', m.configFile];
  m.pid = startDetached(java.command, args, m.stdoutFile, m.dir).pid;
}

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

async function waitForZookeeper(zk: MemberState, timeoutMs: number): Promise<void> {
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
