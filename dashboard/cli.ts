/**
 * `tickstream dashboard`: the live page on loopback, for a pipeline that runs elsewhere
 * (the demo starts the same dashboard itself).
 */
import type { Command } from 'commander';
import { action, overridesFrom } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';
import { sharedSpec } from '../lib/settings.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live dashboard: candles from the ticks topic, pipeline health from the services metrics')
    .option('--port <port>', 'port on 127.0.0.1 [default 8787]', '8787')
    .option('--bootstrap <servers>', 'Kafka bootstrap servers [TICKSTREAM_KAFKA_BOOTSTRAP]')
    .option('--topic-prefix <prefix>', 'topic prefix [TICKSTREAM_TOPIC_PREFIX]')
    .option('--from-beginning', 'read the ticks topic from the start instead of from now')
    .option('--candle <seconds>', 'candle interval in seconds [default 60]', '60')
    .option('--producer-metrics <url>', 'the producer /metrics URL', 'http://127.0.0.1:9464/metrics')
    .option('--sink-metrics <url>', 'the sink /metrics URL', 'http://127.0.0.1:9465/metrics')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = loadConfig(sharedSpec, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: overridesFrom(opts, { bootstrap: 'kafka.bootstrap', topicPrefix: 'topics.prefix' }),
        });
        const port = Number(opts.port);
        const candle = Number(opts.candle);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${String(opts.port)}`);
        if (!Number.isInteger(candle) || candle < 1) throw new Error(`--candle must be a whole number of seconds >= 1, got ${String(opts.candle)}`);
        const { createLogger } = await import('../lib/logger.js');
        const { startDashboard } = await import('./run.js');
        const dashboard = await startDashboard({
          kafka: cfg.kafka,
          topics: cfg.topics,
          port,
          fromBeginning: Boolean(opts.fromBeginning),
          candleIntervalSec: candle,
          health: { producerMetricsUrl: String(opts.producerMetrics), sinkMetricsUrl: String(opts.sinkMetrics) },
          log: createLogger('dashboard', cfg.log),
        });
        process.stdout.write(`dashboard at ${dashboard.url} (Ctrl-C stops it)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        if (!(await dashboard.stop())) {
          // Kafka unreachable: its consumer was left open and would keep the process alive.
          process.stderr.write('tickstream dashboard: stopped without closing the Kafka consumer (no broker answered)\n');
          process.exit(75);
        }
      }),
    );
}
