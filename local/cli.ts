/**
 * `tickstream stack ...`: the local Kafka stack on loopback.
 */
import type { Command } from 'commander';
import { action, formatTable, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';
import { sharedSpec, type KafkaConfig, type TopicConfig } from '../lib/settings.js';
import { stackSpec } from './settings.js';

/** Every stack command takes `--dir`; `up` takes the shape and ports too. */
const DIR_FLAG: readonly SettingFlag[] = [['--dir <folder>', 'stack.dir', 'stack state folder']];
const UP_FLAGS: readonly SettingFlag[] = [
  ['--mode <mode>', 'stack.mode', 'zookeeper | kraft'],
  ['--brokers <n>', 'stack.brokers', 'number of brokers'],
  ['--port <port>', 'stack.port', 'client port of broker 1; broker i uses port+i-1'],
  ['--zookeeper-port <port>', 'stack.zookeeperPort', 'ZooKeeper port'],
  ['--controller-port <port>', 'stack.controllerPort', 'KRaft controller port of node 1'],
  ['--heap <size>', 'stack.heap', 'JVM heap per broker'],
  ['--timeout <seconds>', 'stack.startTimeoutSec', 'start-up bound'],
];

/** Option name to setting key of every setting flag declared (filled by `withStackOptions`). */
const stackOverrides: Record<string, string> = {};

function withStackOptions(cmd: Command, flags: readonly SettingFlag[] = []): Command {
  Object.assign(stackOverrides, settingFlags(cmd, stackSpec, [...DIR_FLAG, ...flags]));
  return cmd.option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]');
}

function stackConfig(opts: Record<string, unknown>) {
  return loadConfig({ ...stackSpec, ...sharedSpec }, {
    ...(opts.config ? { file: String(opts.config) } : {}),
    overrides: overridesFrom(opts, stackOverrides),
  });
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('run real Apache Kafka on loopback: ZooKeeper + Kafka 3.9, or KRaft with Kafka 4');

  withStackOptions(stack.command('up'), UP_FLAGS)
    .description('start ZooKeeper and N brokers (or N KRaft nodes); returns when every broker answers')
    .option('--topics', 'also create the topics of the design')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = stackConfig(opts);
        const { stackUp, bootstrapOf } = await import('./stack.js');
        const progress = process.stderr.isTTY
          ? (e: { downloaded: number; artifact: string }) => process.stderr.write(`\rfetching Kafka jars from Maven Central: ${e.downloaded} files (${e.artifact})\x1b[K`)
          : undefined;
        const { state } = await stackUp(cfg.stack, {
          onStep: (m) => process.stderr.write(`${progress ? '\r\x1b[K' : ''}${m}\n`),
          ...(progress ? { onFetchProgress: progress } : {}),
        });
        if (opts.topics) await createTopics({ ...cfg.kafka, bootstrap: bootstrapOf(state) }, cfg.topics);
        process.stdout.write(`${bootstrapOf(state)}\n`);
      }),
    );

  withStackOptions(stack.command('down'))
    .description('stop the processes this stack started (brokers first, gracefully); keeps data unless --purge')
    .option('--purge', 'also delete the stack folder (data and logs)')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = stackConfig(opts);
        const { stackDown } = await import('./stack.js');
        const { stopped } = await stackDown(cfg.stack.dir, { purge: Boolean(opts.purge) });
        for (const s of stopped) process.stderr.write(`${s.member} (pid ${s.pid}): ${s.how}\n`);
        if (stopped.length === 0) process.stderr.write('nothing was running\n');
      }),
    );

  withStackOptions(stack.command('status'))
    .description('list the stack members, their pids and whether they answer')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = stackConfig(opts);
        const { stackStatus } = await import('./stack.js');
        const { state, members } = await stackStatus(cfg.stack.dir);
        if (!state) {
          process.stdout.write(`no stack in ${cfg.stack.dir}\n`);
          return 3;
        }
        process.stdout.write(`Kafka ${state.kafkaVersion}, ${state.mode} mode, state in ${state.dir}\n`);
        process.stdout.write(
          formatTable(members.map((m) => ({ member: m.role === 'broker' ? `broker ${m.id}` : m.role, address: m.address, pid: m.pid ?? '-', state: m.answering ? 'up' : m.running ? 'starting' : 'down', detail: m.detail }))) + '\n',
        );
        return members.every((m) => m.answering) ? 0 : 3;
      }),
    );

  withStackOptions(stack.command('topics'))
    .description('create the topics of the design (ticks, ticks.dlq) from config; safe to repeat')
    .option('--bootstrap <servers>', 'cluster to create them on [default: the running stack, else TICKSTREAM_KAFKA_BOOTSTRAP]')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = stackConfig(opts);
        const { readState, bootstrapOf, isRunning } = await import('./stack.js');
        const state = readState(cfg.stack.dir);
        const bootstrap = (opts.bootstrap as string | undefined) ??
          (state && state.members.some(isRunning) ? bootstrapOf(state) : cfg.kafka.bootstrap);
        await createTopics({ ...cfg.kafka, bootstrap }, cfg.topics);
      }),
    );

  withStackOptions(stack.command('fetch'))
    .description('fetch the Kafka jars of a metadata mode from Maven Central into the cache')
    .option('--mode <mode>', 'zookeeper | kraft | all', 'all')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = stackConfig({ ...opts, mode: undefined });
        const { distributionFor, ensureKafkaJars } = await import('./jars.js');
        const modes = opts.mode === 'all' ? (['zookeeper', 'kraft'] as const) : [opts.mode as 'zookeeper' | 'kraft'];
        for (const mode of modes) {
          if (mode !== 'zookeeper' && mode !== 'kraft') throw new Error(`--mode must be zookeeper, kraft or all, got ${String(mode)}`);
          const dist = distributionFor(mode);
          const { libsDir, fetched } = await ensureKafkaJars(dist, cfg.stack.cacheDir, (e) => {
            if (process.stderr.isTTY) process.stderr.write(`\r${mode}: ${e.downloaded} files (${e.artifact})\x1b[K`);
          });
          process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}Kafka ${dist.kafkaVersion} (${mode}): ${fetched ? 'fetched into' : 'cached in'} ${libsDir}\n`);
        }
      }),
    );
}

async function createTopics(kafka: KafkaConfig, topics: TopicConfig): Promise<void> {
  const { clusterMetadata, ensureTopics } = await import('../lib/admin.js');
  const { planTopics } = await import('../lib/kafka.js');
  const md = await clusterMetadata(kafka.bootstrap);
  const outcomes = await ensureTopics(kafka, planTopics(topics, md.brokers.length));
  process.stdout.write(formatTable(outcomes.map((o) => ({ topic: o.name, action: o.action, partitions: o.partitions, replication: o.replicationFactor }))) + '\n');
}
