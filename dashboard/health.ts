/**
 * Pipeline health for the dashboard, read from the services' own Prometheus pages, so the
 * numbers on screen are the services' counters and nothing the dashboard made up.
 *
 * `HEALTH_METRICS` names the series each number comes from; the producer and the sink
 * define them in producer/metrics.ts and consumer/metrics.ts.
 */
import { parsePrometheusText, sumOf, type Sample } from '../lib/prometheus-text.js';

export const HEALTH_METRICS = {
  producerDelivered: 'tickstream_producer_delivered_total',
  producerDlq: 'tickstream_producer_dlq_total',
  sinkRecords: 'tickstream_sink_records_total',
  sinkFiles: 'tickstream_sink_files_written_total',
  sinkLag: 'tickstream_sink_consumer_lag',
  sinkDlq: 'tickstream_sink_dlq_total',
} as const;

export interface HealthSources {
  readonly producerMetricsUrl?: string;
  readonly sinkMetricsUrl?: string;
}

export interface Health {
  readonly at: number;
  readonly producerUp: boolean;
  readonly sinkUp: boolean;
  readonly delivered: number;
  /** Ticks per second delivered, over the last two readings. */
  readonly producerRate: number;
  readonly sinkRecords: number;
  readonly filesWritten: number;
  readonly sinkLag: number;
  readonly dlq: number;
}

export interface HealthReading {
  readonly at: number;
  readonly producer: readonly Sample[] | null;
  readonly sink: readonly Sample[] | null;
}

/** Pure: turns two consecutive readings into the numbers on screen. */
export function summarize(current: HealthReading, previous: Health | null): Health {
  const p = current.producer ?? [];
  const s = current.sink ?? [];
  const delivered = sumOf(p, HEALTH_METRICS.producerDelivered);
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const producerRate = previous && seconds > 0 ? Math.max(0, (delivered - previous.delivered) / seconds) : 0;
  return {
    at: current.at,
    producerUp: current.producer !== null,
    sinkUp: current.sink !== null,
    delivered,
    producerRate,
    sinkRecords: sumOf(s, HEALTH_METRICS.sinkRecords),
    filesWritten: sumOf(s, HEALTH_METRICS.sinkFiles),
    sinkLag: sumOf(s, HEALTH_METRICS.sinkLag),
    dlq: sumOf(p, HEALTH_METRICS.producerDlq) + sumOf(s, HEALTH_METRICS.sinkDlq),
  };
}

export async function scrape(url: string | undefined): Promise<Sample[] | null> {
  if (!url) return null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return null;
    return parsePrometheusText(await res.text());
  } catch {
    return null;
  }
}

export async function readHealth(sources: HealthSources, previous: Health | null): Promise<Health> {
  const [producer, sink] = await Promise.all([scrape(sources.producerMetricsUrl), scrape(sources.sinkMetricsUrl)]);
  return summarize({ at: Date.now(), producer, sink }, previous);
}
