/**
 * `tickstream sink`: runs the sink in the foreground until SIGTERM/SIGINT.
 * Flags override the environment and the config file (`consumer/settings.ts`).
 */
import type { Command } from 'commander';
import { action, overridesFrom } from '../lib/cli.js';
import { describeSpec, loadConfig } from '../lib/config.js';

const SINK_FLAGS = {
  lake: 'lake.root',
  partitioning: 'lake.partitioning',
  s3Endpoint: 'lake.s3Endpoint',
  group: 'sink.group',
  workers: 'sink.workers',
  bootstrap: 'kafka.bootstrap',
  topicPrefix: 'topics.prefix',
  rotateRecords: 'sink.rotateRecords',
  rotateBytes: 'sink.rotateBytes',
  rotateEventMs: 'sink.rotateEventMs',
  flushInterval: 'sink.flushIntervalMs',
  idleFlush: 'sink.idleFlushMs',
  maxBuffered: 'sink.maxBufferedMb',
  metricsPort: 'sink.metricsPort',
  shutdown: 'sink.shutdown',
  logLevel: 'log.level',
} as const;

export function registerSinkCommands(program: Command): void {
  program
    .command('sink')
    .description('consume ticks into the Parquet lake (raw/ticks and processed/bars_1m), exactly once')
    .option('--lake <root>', 'lake root: a folder or s3://bucket/prefix [TICKSTREAM_LAKE, default ./lake]')
    .option('--partitioning <p>', 'time partitioning of the lake: day | month | year [TICKSTREAM_LAKE_PARTITIONING, default day]')
    .option('--s3-endpoint <url>', 'endpoint of an S3-compatible server [TICKSTREAM_S3_ENDPOINT]')
    .option('--group <id>', 'consumer group [TICKSTREAM_SINK_GROUP, default tickstream-sink]')
    .option('--workers <n>', 'sink processes in the group, supervised by this one; worker i serves metrics on metrics-port+i-1 [TICKSTREAM_SINK_WORKERS, default 1]')
    .option('--bootstrap <servers>', 'Kafka bootstrap servers [TICKSTREAM_KAFKA_BOOTSTRAP]')
    .option('--topic-prefix <prefix>', 'topic prefix [TICKSTREAM_TOPIC_PREFIX]')
    .option('--rotate-records <n>', 'messages per batch [default 200000]')
    .option('--rotate-bytes <n>', 'bytes per batch [default 64 MiB]')
    .option('--rotate-event-ms <ms>', 'also close a batch after this event-time span, 0 = off [default 0]')
    .option('--flush-interval <ms>', 'wall-clock flush after a batch opened, 0 = off [default 60000]')
    .option('--idle-flush <ms>', 'wall-clock flush after a partition went quiet, 0 = off [default 5000]')
    .option('--max-buffered <mb>', 'pause partitions above this much buffered data [default 512]')
    .option('--metrics-port <port>', 'Prometheus port, 0 = any [default 9465]')
    .option('--shutdown <mode>', 'finish | abandon open batches on SIGTERM [default finish]')
    .option('--log-level <level>', 'log level [TICKSTREAM_LOG_LEVEL]')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .option('--print-config', 'print every setting with its variable and default, then exit')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const { sinkSpec } = await import('./settings.js');
        if (opts.printConfig) {
          process.stdout.write(`${describeSpec(sinkSpec).join('\n')}\n`);
          return;
        }
        const config = loadConfig(sinkSpec, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: overridesFrom(opts, SINK_FLAGS),
        });
        const code = config.sink.workers > 1 ? await (await import('./workers.js')).runSinkWorkers(config) : await (await import('./service.js')).runSink(config);
        // 75: a Kafka client that could not close during an outage would keep the process alive.
        if (code !== 0) process.exit(code);
        return code;
      }),
    );
}
