/**
 * `tickstream demo` (what `npm start` runs): the whole pipeline on this machine.
 */
import type { Command } from 'commander';
import { action, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';
import { sharedSpec } from '../lib/settings.js';
import { stackSpec } from '../local/settings.js';
import { demoSettings } from './settings.js';

/** Every setting the demo reads: its own, the stack's (when it starts one) and the shared Kafka, topic and log settings. */
const DEMO_SPEC = { ...sharedSpec, ...stackSpec, demo: demoSettings } as const;

const DEMO_FLAGS: readonly SettingFlag[] = [
  ['--data <file>', 'demo.data', 'CSV of daily bars whose last days to replay instead of the sample'],
  ['--lake <folder>', 'demo.lake', 'lake folder; the demo empties it on every run'],
  ['--days <n>', 'demo.days', 'trading days to replay, the last ones of the file, under their own dates'],
  ['--day-seconds <s>', 'demo.daySeconds', 'wall seconds each trading day takes to stream'],
  ['--ticks-per-bar <n>', 'demo.ticksPerBar', 'ticks simulated from each daily bar'],
  ['--dashboard-port <port>', 'demo.dashboardPort', 'dashboard port on 127.0.0.1'],
  ['--no-dashboard', 'demo.dashboard', 'do not serve the dashboard'],
  ['--mode <mode>', 'stack.mode', 'Kafka metadata mode when the demo starts the stack: zookeeper | kraft'],
  ['--brokers <n>', 'stack.brokers', 'brokers when the demo starts the stack'],
];

export function registerDemoCommand(program: Command): void {
  const demo = program
    .command('demo')
    .description('run the whole pipeline locally: Kafka, sink, dashboard, producer, lake, SQL (what `npm start` runs)')
    .option('--follow', 'after the replay, keep streaming simulated live ticks (GBM, event time now) until Ctrl-C')
    .option('--exit', 'exit after printing the results, even on a terminal (default: keep the dashboard up until Ctrl-C)')
    .option('--bootstrap <servers>', 'use this running Kafka cluster instead of the local stack')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]');
  const settingOverrides = settingFlags(demo, DEMO_SPEC, DEMO_FLAGS);
  demo.action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = loadConfig(DEMO_SPEC, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: overridesFrom(
            { ...opts, dashboard: opts.dashboard === false ? false : undefined },
            settingOverrides,
          ),
        });
        const { runDemo } = await import('./run.js');
        const controller = new AbortController();
        const onSignal = (): void => controller.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const started = Date.now();
        const code = await runDemo(
          {
            stack: cfg.stack,
            kafka: cfg.kafka,
            topics: cfg.topics,
            log: cfg.log,
            ...cfg.demo,
            ...(opts.bootstrap ? { bootstrap: String(opts.bootstrap) } : {}),
            follow: Boolean(opts.follow),
            stay: process.stdout.isTTY === true && !opts.exit,
          },
          controller.signal,
          (line) => process.stdout.write(`${line}\n`),
        );
        process.stdout.write(`demo ${code === 0 ? 'finished' : code === 130 ? 'stopped' : 'failed'} after ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
        return code;
      }),
    );
}
