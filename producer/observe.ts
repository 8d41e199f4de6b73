/**
 * How a run shows itself while it goes, the same for one process (producer/service.ts) and
 * for the parent of several workers (producer/workers.ts): Prometheus metrics and the
 * progress line read one `ProducerStatus` function, and the last log record names the outcome.
 */
import type { Logger } from '../lib/logger.js';
import { createRegistry, serveMetrics, type MetricsServer } from '../lib/metrics.js';
import { registerProducerMetrics } from './metrics.js';
import { ProgressReporter } from './progress.js';
import type { RunDeps } from './deps.js';
import type { ProducerConfig } from './settings.js';
import { progressSnapshot, type ProducerStatus } from './status.js';
import type { FileFormat } from './sources/detect.js';
import type { RunFormat, RunSummary } from './summary.js';

/** Serves /metrics (and /healthz from `healthy`) when producer.metrics is on; null otherwise. */
export async function serveProducerMetrics(p: ProducerConfig, deps: RunDeps, status: () => ProducerStatus, healthy: () => boolean): Promise<MetricsServer | null> {
  if (!p.metrics) return null;
  const registry = createRegistry('producer');
  registerProducerMetrics(registry, status);
  const server = await serveMetrics(registry, p.metricsPort, p.metricsHost, healthy);
  deps.onMetrics?.(server.port);
  deps.logger.info({ url: `http://${p.metricsHost}:${server.port}/metrics` }, 'serving metrics');
  return server;
}

/** Starts the progress line or log records, unless progress is off. */
export function startProgress(p: ProducerConfig, deps: RunDeps, status: () => ProducerStatus): ProgressReporter | null {
  if (deps.progress === 'off') return null;
  const progress = new ProgressReporter(deps.progress, () => progressSnapshot(status()), deps.logger, p.progressIntervalSec * 1000);
  progress.start();
  return progress;
}

/** The run's last log record: its summary, under a message saying how it ended. */
export function logOutcome(logger: Logger, summary: RunSummary): void {
  logger.info({ summary }, summary.error !== undefined ? 'run failed' : summary.interrupted ? 'run interrupted' : 'run complete');
}

/** The resolved settings of a CSV run, for its summary. */
export function runFormat(format: FileFormat): RunFormat {
  return {
    dateFormat: format.dateFormat.value,
    delimiter: format.delimiter.value,
    decimal: format.decimal.value,
    ...(format.layout ? { layout: format.layout } : {}),
  };
}

/** One log record saying how the file will be read and why (what `auto` found). */
export function logFormat(logger: Logger, file: string, format: FileFormat): void {
  logger.info(
    {
      file,
      dateFormat: format.dateFormat.value,
      dateEvidence: format.dateFormat.evidence,
      delimiter: format.delimiter.value,
      delimiterEvidence: format.delimiter.evidence,
      decimal: format.decimal.value,
      decimalEvidence: format.decimal.evidence,
      layout: format.layout ?? undefined,
    },
    'CSV format',
  );
}
