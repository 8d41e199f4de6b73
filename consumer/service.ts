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
import type { ShutdownMode, StopOutcome } from './stop-outcome.js';
import { openStore } from './store/open.js';

/**
 * Exit statuses of a stopped sink (docs/sink.md, "Kafka outages and stopping"). 1 (failure) and 2 (bad
 * setting) come from the entry points.
 */
export const SINK_EXIT = {
  /** Stopped; every batch it finished is committed, the rest is re-read by the next start. */
  ok: 0,
  /**
   * Stopped while no Kafka broker answered: batches it could not commit were left
   * uncommitted (the next start rolls back what was written and re-reads them), and the
   * consumer may not have left its group. EX_TEMPFAIL of sysexits.h.
   */
  kafkaUnreachable: 75,
} as const;

/** Pure: the exit status a stop outcome stands for. */
export function sinkExitStatus(outcome: StopOutcome | null): number {
  if (!outcome) return SINK_EXIT.ok;
  return outcome.kafkaReachable && outcome.kafkaClosed ? SINK_EXIT.ok : SINK_EXIT.kafkaUnreachable;
}

/** How a sink process is driven from outside (a worker of `tickstream sink --workers N`). */
export interface RunSinkOptions {
  /**
   * Whether SIGTERM/SIGINT stop this sink (default). A worker turns them off and stops
   * through `control` instead: its supervisor decides what a second signal means.
   */
  readonly signals?: boolean;
  /** Receives the sink's stop as soon as it exists. */
  readonly control?: (stop: (mode?: ShutdownMode) => void) => void;
  /** Fields on every log line (the worker's number). */
  readonly logBindings?: Record<string, unknown>;
}

/** Runs the sink until it is stopped; resolves with the exit status (see SINK_EXIT). */
export async function runSink(config: SinkSpecConfig, options: RunSinkOptions = {}): Promise<number> {
  const base = createLogger('sink', config.log);
  const log = options.logBindings ? base.child(options.logBindings) : base;
  const store = await openStore(config.lake);
  const metrics = new SinkMetrics();
  const sink = new Sink({ config, store, log, metrics });
  options.control?.((mode) => void sink.stop(mode));
  let server: MetricsServer | null = null;
  if (config.sink.metrics) {
    server = await serveMetrics(metrics.registry, config.sink.metricsPort, config.sink.metricsHost, () => sink.healthy);
    log.info({ port: server.port }, 'metrics on /metrics');
  }
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received++;
    if (received === 1) {
      log.info({ signal, mode: config.sink.shutdown }, 'stopping on signal');
      void sink.stop();
    } else {
      // A second signal: the operator wants out now. Nothing uncommitted is lost (Kafka keeps it).
      log.warn({ signal }, 'second signal: abandoning open batches');
      void sink.stop('abandon');
      if (received > 2) process.exit(130);
    }
  };
  const signals = options.signals ?? true;
  if (signals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  try {
    await sink.start();
    await sink.done();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await server?.close();
  }
  return sinkExitStatus(sink.outcome);
}
