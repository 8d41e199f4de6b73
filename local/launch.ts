/**
 * Launching the stack's JVMs: ZooKeeper, KRaft storage formatting and Kafka brokers, each
 * with the config files it reads written first. Every process runs detached with its own
 * log, so the stack outlives the command that started it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDetached, type JavaInfo } from './processes.js';
import { brokerConfig, clusterIdFromBytes, log4j2Config, log4jConfig, loggingJvmArgs, zookeeperConfig, type NodeLayout, type StackLayout } from './render.js';
import { LOOPBACK, type MemberState, type StackState } from './state.js';

const execFileAsync = promisify(execFile);

export function newClusterId(): string {
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

export function startZookeeper(state: StackState, zk: MemberState, java: JavaInfo): void {
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

export async function prepareBroker(
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

export function startBroker(state: StackState, m: MemberState, java: JavaInfo, kafkaMajor: number): void {
  const loggingFile = join(m.dir, kafkaMajor >= 4 ? 'log4j2.properties' : 'log4j.properties');
  const args = [...jvmArgs(state, state.heap), ...loggingJvmArgs(kafkaMajor, loggingFile, m.dir), 'kafka.Kafka', m.configFile];
  m.pid = startDetached(java.command, args, m.stdoutFile, m.dir).pid;
}
