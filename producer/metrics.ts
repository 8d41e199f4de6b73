/**
 * Prometheus metrics of the producer, on the shared registry from lib/metrics.ts. Values
 * are read from the run's counters when Prometheus scrapes, not pushed per tick: a metric
 * update per message would cost more than the message.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RdkafkaStats } from './publisher.js';
import type { ProducerCounts, ProducerStatus } from './status.js';

/** What the metrics read of a status: the counts and the live fields, not the progress-only ones. */
export type MetricsView = ProducerCounts & Pick<ProducerStatus, 'rows' | 'lagMs' | 'stats' | 'kafkaUnreachableSince'>;

/** A counter whose value is read from `value()` at scrape time. */
function counter(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Math.max(0, value()));
    },
  });
}

function gauge(registry: Registry, name: string, help: string, value: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}

export function registerProducerMetrics(registry: Registry, view: () => MetricsView): void {
  const p = 'tickstream_producer_';
  counter(registry, `${p}rows_read_total`, 'CSV data rows read', () => view().rows);
  counter(registry, `${p}ticks_produced_total`, 'ticks handed to the Kafka client', () => view().ticksProduced);
  counter(registry, `${p}ticks_delivered_total`, 'ticks acknowledged by the cluster (acks=all)', () => view().ticksDelivered);
  counter(registry, `${p}ticks_failed_total`, 'ticks the Kafka client reported as not delivered', () => view().ticksFailed);
  counter(registry, `${p}ticks_unconfirmed_total`, 'ticks acknowledged without an offset (librdkafka implicit ack), not counted as delivered', () => view().ticksUnconfirmed);
  counter(registry, `${p}dead_letters_total`, 'rejected rows and ticks sent to the dead-letter topic', () => view().deadLetters);
  counter(registry, `${p}dead_letters_failed_total`, 'dead letters that could not be delivered', () => view().deadLettersFailed);
  counter(registry, `${p}queue_full_waits_total`, 'times publishing paused because the client queue was full', () => view().queueFullWaits);
  gauge(registry, `${p}kafka_reachable`, 'whether at least one Kafka broker answers the producer (1) or none does (0)', () => (view().kafkaUnreachableSince == null ? 1 : 0));
  gauge(registry, `${p}kafka_unreachable_seconds`, 'seconds since the last Kafka broker connection was lost (0 while one is up)', () => {
    const since = view().kafkaUnreachableSince;
    return since == null ? 0 : Math.max(0, (Date.now() - since) / 1000);
  });
  gauge(registry, `${p}queue_messages`, 'messages in the client queue or awaiting acknowledgement (librdkafka msg_cnt)', () => view().stats.msg_cnt ?? 0);
  gauge(registry, `${p}queue_bytes`, 'bytes of those messages (librdkafka msg_size)', () => view().stats.msg_size ?? 0);
  gauge(registry, `${p}live_lag_seconds`, 'live clock: how far sending is behind the schedule', () => view().lagMs / 1000);
  counter(registry, `${p}rdkafka_tx_messages_total`, 'messages sent to brokers (librdkafka txmsgs)', () => view().stats.txmsgs ?? 0);
  counter(registry, `${p}rdkafka_tx_bytes_total`, 'bytes sent to brokers (librdkafka tx_bytes)', () => view().stats.tx_bytes ?? 0);

  const brokerGauge = (name: string, help: string, pick: (b: NonNullable<RdkafkaStats['brokers']>[string]) => number | undefined): void => {
    new Gauge({
      name: `${p}rdkafka_broker_${name}`,
      help,
      labelNames: ['broker'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [broker, b] of Object.entries(view().stats.brokers ?? {})) {
          if (b.nodeid === undefined || b.nodeid < 0) continue; // bootstrap placeholders
          const v = pick(b);
          if (v !== undefined) this.set({ broker }, v);
        }
      },
    });
  };
  brokerGauge('up', 'connection state (1 = UP)', (b) => (b.state === 'UP' ? 1 : 0));
  brokerGauge('rtt_avg_seconds', 'average request round trip', (b) => (b.rtt?.avg ?? 0) / 1e6);
  brokerGauge('rtt_p99_seconds', '99th percentile request round trip', (b) => (b.rtt?.p99 ?? 0) / 1e6);
  brokerGauge('outbuf_messages', 'messages waiting to be sent', (b) => b.outbuf_msg_cnt);
  brokerGauge('waitresp_messages', 'messages sent, awaiting the response', (b) => b.waitresp_msg_cnt);
  brokerGauge('tx_retries', 'request retries (cumulative)', (b) => b.txretries);
  brokerGauge('tx_errors', 'transmission errors (cumulative)', (b) => b.txerrs);
}
