/**
 * The configuration files of a local stack, as text: ZooKeeper's zoo.cfg, each broker's
 * server.properties (ZooKeeper mode or KRaft combined mode) and the logging config of each
 * Kafka line. Pure functions, so the settings that matter (replication, ISR, no automatic
 * topic creation) are tested without starting a JVM.
 */
import type { MetadataMode } from '../lib/kafka.js';

export interface NodeLayout {
  /** broker.id / node.id, from 1. */
  readonly id: number;
  readonly clientPort: number;
  /** KRaft only. */
  readonly controllerPort?: number;
  readonly dataDir: string;
  readonly logDir: string;
  /** A rack label, so rack-aware replica placement is exercised locally as on AWS. */
  readonly rack: string;
}

export interface StackLayout {
  readonly mode: MetadataMode;
  readonly host: string;
  readonly nodes: readonly NodeLayout[];
  readonly zookeeperPort?: number;
  readonly zookeeperDataDir?: string;
}

export function properties(entries: Record<string, string | number | boolean>): string {
  return Object.entries(entries)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')
    .concat('\n');
}

export function zookeeperConfig(port: number, dataDir: string, host: string): string {
  return (
    '# Written by tickstream stack up. A single-node ZooKeeper for a local Kafka 3.9 stack.\n' +
    properties({
      tickTime: 2000,
      initLimit: 10,
      syncLimit: 5,
      dataDir,
      clientPort: port,
      clientPortAddress: host,
      maxClientCnxns: 0,
      // No Jetty admin server: it would take port 8080 on the machine.
      'admin.enableServer': false,
      '4lw.commands.whitelist': 'ruok,srvr,stat,mntr',
      'autopurge.snapRetainCount': 3,
      'autopurge.purgeInterval': 1,
    })
  );
}

/** Settings that are the same in both modes: the durability rules of the design. */
function durabilitySettings(brokerCount: number): Record<string, string | number | boolean> {
  const rf = Math.min(3, brokerCount);
  const minIsr = Math.min(2, rf);
  return {
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'unclean.leader.election.enable': false,
    // Topics are created explicitly, with the partition count and replication from config.
    'auto.create.topics.enable': false,
    // A laptop does not need 50 partitions for internal topics; start-up is faster with 10.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 3,
    'num.io.threads': 4,
    'num.partitions': 1,
    'log.retention.hours': 168,
    'controlled.shutdown.enable': true,
  };
}

export function brokerConfig(layout: StackLayout, node: NodeLayout): string {
  const n = layout.nodes.length;
  const common = {
    'log.dirs': node.dataDir,
    'broker.rack': node.rack,
    ...durabilitySettings(n),
  };
  if (layout.mode === 'zookeeper') {
    if (layout.zookeeperPort === undefined) throw new Error('zookeeper mode needs a ZooKeeper port');
    return (
      '# Written by tickstream stack up. Kafka 3.9 broker, metadata in ZooKeeper.\n' +
      properties({
        'broker.id': node.id,
        listeners: `PLAINTEXT://${layout.host}:${node.clientPort}`,
        'advertised.listeners': `PLAINTEXT://${layout.host}:${node.clientPort}`,
        'zookeeper.connect': `${layout.host}:${layout.zookeeperPort}`,
        'zookeeper.connection.timeout.ms': 18000,
        ...common,
      })
    );
  }
  const voters = layout.nodes.map((v) => `${v.id}@${layout.host}:${controllerPortOf(v)}`).join(',');
  return (
    '# Written by tickstream stack up. Kafka 4 node in KRaft combined mode (broker and controller).\n' +
    properties({
      'process.roles': 'broker,controller',
      'node.id': node.id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://${layout.host}:${node.clientPort},CONTROLLER://${layout.host}:${controllerPortOf(node)}`,
      'advertised.listeners': `PLAINTEXT://${layout.host}:${node.clientPort}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      ...common,
    })
  );
}

function controllerPortOf(node: NodeLayout): number {
  if (node.controllerPort === undefined) throw new Error(`node ${node.id} has no controller port (KRaft mode needs one)`);
  return node.controllerPort;
}

/** reload4j (Kafka 3.9 and ZooKeeper): everything to one file per process. */
export function log4jConfig(logFile: string): string {
  return properties({
    'log4j.rootLogger': 'INFO, file',
    'log4j.appender.file': 'org.apache.log4j.FileAppender',
    'log4j.appender.file.File': logFile,
    'log4j.appender.file.Append': true,
    'log4j.appender.file.layout': 'org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger': 'WARN',
    'log4j.logger.kafka.log.LogCleaner': 'WARN',
    'log4j.logger.state.change.logger': 'WARN',
    'log4j.logger.org.apache.zookeeper': 'WARN',
  });
}

/** log4j2 (Kafka 4). */
export function log4j2Config(logFile: string): string {
  return properties({
    status: 'warn',
    'appender.file.type': 'File',
    'appender.file.name': 'file',
    'appender.file.fileName': logFile,
    'appender.file.append': true,
    'appender.file.layout.type': 'PatternLayout',
    'appender.file.layout.pattern': '[%d] %p %m (%c)%n',
    'rootLogger.level': 'info',
    'rootLogger.appenderRef.file.ref': 'file',
    'logger.request.name': 'kafka.request.logger',
    'logger.request.level': 'warn',
    'logger.statechange.name': 'state.change.logger',
    'logger.statechange.level': 'warn',
  });
}

/** JVM system properties that point a Kafka line at its logging config. */
export function loggingJvmArgs(kafkaMajor: number, configFile: string, logDir: string): string[] {
  const loggingFlag =
    kafkaMajor >= 4 ? `-Dlog4j2.configurationFile=${configFile}` : `-Dlog4j.configuration=file:${configFile}`;
  return [loggingFlag, `-Dkafka.logs.dir=${logDir}`];
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, as Kafka's
 * `Uuid.randomUuid()` prints them. One starting with '-' would read as a CLI flag, so the
 * caller draws again (Kafka does the same).
 */
export function clusterIdFromBytes(bytes: Uint8Array): string | null {
  if (bytes.length !== 16) throw new Error('a cluster id needs 16 bytes');
  const id = Buffer.from(bytes).toString('base64url');
  return id.startsWith('-') || bytes.every((b) => b === 0) ? null : id;
}
