/**
 * Pipeline health for the dashboard, read from the services' own Prometheus pages, so the
 * numbers on screen are the services' counters and nothing the dashboard made up.
 *
 * `HEALTH_METRICS` names the series each number comes from; the producer and the sink
 * define them in producer/metrics.ts and consumer/metrics.ts.
 */
import { parsePrometheusText, sumOf, type Sample } from '../lib/prometheus-text.js';

/** A series, and the labels a sample must carry to count. */
interface SeriesRef {
  readonly name: string;
  readonly labels?: Record<string, string>;
}

export const HEALTH_METRICS = {
  producerDelivered: { name: 'tickstream_producer_ticks_delivered_total' },
  producerDlq: { name: 'tickstream_producer_dead_letters_total' },
  /** Rows that landed in raw/ticks. */
  sinkRows: { name: 'tickstream_sink_rows_written_total', labels: { table: 'ticks' } },
  sinkFiles: { name: 'tickstream_sink_files_written_total' },
  sinkLag: { name: 'tickstream_sink_consumer_lag' },
  sinkDlq: { name: 'tickstream_sink_records_total', labels: { result: 'dead_letter' } },
} as const satisfies Record<string, SeriesRef>;

function read(samples: readonly Sample[], ref: SeriesRef): number {
  return sumOf(samples, ref.name, ref.labels);
}

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
  readonly producerDlq: number;
  readonly sinkDlq: number;
  readonly dlq: number;
}

export interface HealthReading {
  readonly at: number;
  readonly producer: readonly Sample[] | null;
  readonly sink: readonly Sample[] | null;
}

/**
 * Pure: turns a reading and the previous health into the numbers on screen. A service whose
 * page did not answer shows as down with its last known counts (a producer that finished
 * its file has exited; what it delivered is still worth showing).
 */
export function summarize(current: HealthReading, previous: Health | null): Health {
  const p = current.producer;
  const s = current.sink;
  const delivered = p ? read(p, HEALTH_METRICS.producerDelivered) : (previous?.delivered ?? 0);
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const producerRate = p && previous && seconds > 0 ? Math.max(0, (delivered - previous.delivered) / seconds) : 0;
  const producerDlq = p ? read(p, HEALTH_METRICS.producerDlq) : (previous?.producerDlq ?? 0);
  const sinkDlq = s ? read(s, HEALTH_METRICS.sinkDlq) : (previous?.sinkDlq ?? 0);
  return {
    at: current.at,
    producerUp: p !== null,
    sinkUp: s !== null,
    delivered,
    producerRate,
    sinkRecords: s ? read(s, HEALTH_METRICS.sinkRows) : (previous?.sinkRecords ?? 0),
    filesWritten: s ? read(s, HEALTH_METRICS.sinkFiles) : (previous?.filesWritten ?? 0),
    sinkLag: s ? read(s, HEALTH_METRICS.sinkLag) : (previous?.sinkLag ?? 0),
    producerDlq,
    sinkDlq,
    dlq: producerDlq + sinkDlq,
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
