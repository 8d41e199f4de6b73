/**
 * The local stack's state: which members a stack of a given shape has (ports, folders) and
 * the state file `<dir>/stack.json` that records what runs (mode, ports, pids). The state
 * file is the only source `down` and `status` read.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isOurProcess } from './processes.js';
import type { NodeLayout, StackLayout } from './render.js';
import type { MetadataMode } from '../lib/kafka.js';
import type { StackConfig } from './settings.js';

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

export function writeState(state: StackState): void {
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

/** The rendered layout (config files) of a stack state. Pure. */
export function layoutOf(state: StackState, zookeeperPort?: number): StackLayout {
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

/** Whether two member lists use the same ports. Pure. */
export function samePorts(a: readonly MemberState[], b: readonly MemberState[]): boolean {
  return a.length === b.length && a.every((m, i) => m.port === b[i]!.port && m.controllerPort === b[i]!.controllerPort);
}
