/**
 * `tickstream sink`: runs the sink in the foreground until SIGTERM/SIGINT.
 * Flags override the environment and the config file (`consumer/settings.ts`).
 */
import type { Command } from 'commander';
import { action, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { describeSpec, loadConfig } from '../lib/config.js';
import { sinkSpec } from './settings.js';

/** The setting flags of `sink`: the only list of them (help and overrides both come from it). */
const SINK_FLAGS: readonly SettingFlag[] = [
  ['--lake <root>', 'lake.root', 'lake root: a folder or s3://bucket/prefix'],
  ['--partitioning <p>', 'lake.partitioning'],
  ['--s3-endpoint <url>', 'lake.s3Endpoint'],
  ['--group <id>', 'sink.group'],
  ['--workers <n>', 'sink.workers', 'sink processes in the group, supervised by this one; worker i serves metrics on metrics-port+i-1'],
  ['--bootstrap <servers>', 'kafka.bootstrap', 'Kafka bootstrap servers'],
  ['--topic-prefix <prefix>', 'topics.prefix', 'topic prefix'],
  ['--rotate-records <n>', 'sink.rotateRecords', 'messages per batch'],
  ['--rotate-bytes <n>', 'sink.rotateBytes', 'bytes per batch'],
  ['--rotate-event-ms <ms>', 'sink.rotateEventMs', 'also close a batch after this event-time span, 0 = off'],
  ['--flush-interval <ms>', 'sink.flushIntervalMs', 'wall-clock flush after a batch opened, 0 = off'],
  ['--idle-flush <ms>', 'sink.idleFlushMs', 'wall-clock flush after a partition went quiet, 0 = off'],
  ['--max-buffered <mb>', 'sink.maxBufferedMb', 'pause partitions above this much buffered data'],
  ['--metrics-port <port>', 'sink.metricsPort', 'Prometheus port, 0 = any'],
  ['--shutdown <mode>', 'sink.shutdown', 'finish | abandon open batches on SIGTERM'],
  ['--log-level <level>', 'log.level', 'trace | debug | info | warn | error | silent'],
];

export function registerSinkCommands(program: Command): void {
  const sink = program
    .command('sink')
    .description('consume ticks into the Parquet lake (raw/ticks and processed/bars_1m), exactly once')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .option('--print-config', 'print every setting with its variable and default, then exit');
  const settingOverrides = settingFlags(sink, sinkSpec, SINK_FLAGS);
  sink.action(
      action(async (opts: Record<string, unknown>) => {
        if (opts.printConfig) {
          process.stdout.write(`${describeSpec(sinkSpec).join('\n')}\n`);
          return;
        }
        const config = loadConfig(sinkSpec, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: overridesFrom(opts, settingOverrides),
        });
        const code = config.sink.workers > 1 ? await (await import('./workers.js')).runSinkWorkers(config) : await (await import('./service.js')).runSink(config);
        // 75: a Kafka client that could not close during an outage would keep the process alive.
        if (code !== 0) process.exit(code);
        return code;
      }),
  );
}
