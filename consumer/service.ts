/**
 * Runs the sink as a service: config in, logger, object store, metrics server and the sink
 * wired together, SIGTERM/SIGINT turned into a graceful stop. Shared by the systemd entry
 * point (`main.ts`) and the `tickstream sink` command.
 */
import { createLogger } from '../lib/logger.js';
import { serveMetrics, type MetricsServer } from '../lib/metrics.js';
import { SinkMetrics } from './metrics.js';
import type { SinkSpecConfig } from './settings.js';
import { Sink } from './sink.js';
import { openStore } from './store/open.js';

export async function runSink(config: SinkSpecConfig): Promise<void> {
  const log = createLogger('sink', config.log);
  const store = await openStore(config.lake);
  const metrics = new SinkMetrics();
  const sink = new Sink({ config, store, log, metrics });
  let server: MetricsServer | null = null;
  if (config.sink.metrics) {
    server = await serveMetrics(metrics.registry, config.sink.metricsPort, config.sink.metricsHost, () => sink.healthy);
    log.info({ port: server.port }, 'metrics on /metrics');
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log.info({ signal, mode: config.sink.shutdown }, 'stopping on signal');
      void sink.stop();
    } else {
      // A second signal: the operator wants out now. Nothing uncommitted is lost (Kafka keeps it).
      log.warn({ signal }, 'second signal: abandoning open batches');
      void sink.stop('abandon');
      if (signals > 2) process.exit(130);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await sink.start();
    await sink.done();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await server?.close();
  }
}
