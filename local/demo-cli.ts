/**
 * `tickstream demo` (what `npm start` runs): the whole pipeline on this machine.
 */
import type { Command } from 'commander';
import { action, overridesFrom } from '../lib/cli.js';
import { intSetting, loadConfig, numberSetting, stringSetting, boolSetting } from '../lib/config.js';
import { sharedSpec } from '../lib/settings.js';
import { stackSpec } from './settings.js';

export const demoSettings = {
  data: stringSetting({ env: 'TICKSTREAM_DEMO_DATA', default: 'data/sample-daily.csv', doc: 'CSV of daily bars whose last days are replayed' }),
  lake: stringSetting({ env: 'TICKSTREAM_DEMO_LAKE', default: 'lake', doc: 'the demo lake folder (emptied on every run)' }),
  days: intSetting({ env: 'TICKSTREAM_DEMO_DAYS', default: 5, min: 1, max: 250, doc: 'trading days replayed: the last ones of the file' }),
  daySeconds: numberSetting({ env: 'TICKSTREAM_DEMO_DAY_SECONDS', default: 5, exclusiveMin: 0, doc: 'wall seconds a trading day takes to stream' }),
  ticksPerBar: intSetting({ env: 'TICKSTREAM_DEMO_TICKS_PER_BAR', default: 1170, min: 4, doc: 'ticks simulated from each daily bar (1170: one per 20 s of a 6.5-hour session)' }),
  dashboardPort: intSetting({ env: 'TICKSTREAM_DEMO_DASHBOARD_PORT', default: 8787, min: 0, max: 65535, doc: 'port of the dashboard on 127.0.0.1' }),
  producerMetricsPort: intSetting({ env: 'TICKSTREAM_DEMO_PRODUCER_METRICS_PORT', default: 9464, min: 1, max: 65535, doc: 'producer /metrics port' }),
  sinkMetricsPort: intSetting({ env: 'TICKSTREAM_DEMO_SINK_METRICS_PORT', default: 9465, min: 1, max: 65535, doc: 'sink /metrics port' }),
  catchUpTimeoutSec: intSetting({ env: 'TICKSTREAM_DEMO_CATCH_UP_TIMEOUT', default: 180, min: 5, doc: 'seconds to wait for the sink after the producer ends' }),
  dashboard: boolSetting({ env: 'TICKSTREAM_DEMO_DASHBOARD', default: true, doc: 'serve the live dashboard' }),
} as const;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline locally: Kafka, sink, dashboard, producer, lake, SQL (what `npm start` runs)')
    .option('--data <file>', 'CSV of daily bars whose last days to replay instead of the sample [default data/sample-daily.csv]')
    .option('--lake <folder>', 'lake folder; the demo empties it on every run [default ./lake]')
    .option('--days <n>', 'trading days to replay, the last ones of the file, under their own dates [default 5]')
    .option('--day-seconds <s>', 'wall seconds each trading day takes to stream [default 5]')
    .option('--ticks-per-bar <n>', 'ticks simulated from each daily bar [default 1170]')
    .option('--follow', 'after the replay, keep streaming simulated live ticks (GBM, event time now) until Ctrl-C')
    .option('--dashboard-port <port>', 'dashboard port on 127.0.0.1 [default 8787]')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--exit', 'exit after printing the results, even on a terminal (default: keep the dashboard up until Ctrl-C)')
    .option('--mode <mode>', 'Kafka metadata mode when the demo starts the stack: zookeeper | kraft [default zookeeper]')
    .option('--brokers <n>', 'brokers when the demo starts the stack [default 1]')
    .option('--bootstrap <servers>', 'use this running Kafka cluster instead of the local stack')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = loadConfig({ ...sharedSpec, ...stackSpec, demo: demoSettings }, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: overridesFrom(
            { ...opts, dashboard: opts.dashboard === false ? false : undefined },
            {
              data: 'demo.data',
              lake: 'demo.lake',
              days: 'demo.days',
              daySeconds: 'demo.daySeconds',
              ticksPerBar: 'demo.ticksPerBar',
              dashboardPort: 'demo.dashboardPort',
              dashboard: 'demo.dashboard',
              mode: 'stack.mode',
              brokers: 'stack.brokers',
            },
          ),
        });
        const { runDemo } = await import('./demo.js');
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
