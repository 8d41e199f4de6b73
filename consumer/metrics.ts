/**
 * The sink's Prometheus metrics. Names start with `tickstream_sink_`; the registry carries
 * the label service="sink" and the process metrics (`lib/metrics.ts`).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { reachabilityGauges, type KafkaReachability } from '../lib/kafka-reachability.js';
import { createRegistry } from '../lib/metrics.js';

export class SinkMetrics {
  readonly registry: Registry;
  readonly records: Counter<'result'>;
  readonly filesWritten: Counter<'table'>;
  readonly bytesWritten: Counter<'table'>;
  readonly rowsWritten: Counter<'table'>;
  readonly batchesCommitted: Counter<'reason'>;
  readonly commitLatency: Histogram;
  readonly storeErrors: Counter<'op'>;
  readonly commitErrors: Counter;
  readonly rebalances: Counter<'kind'>;
  readonly rolledBack: Counter;
  readonly droppedOnRevoke: Counter;
  readonly lag: Gauge<'partition'>;
  readonly pausedPartitions: Gauge;
  readonly bufferedBytes: Gauge;
  readonly assignedPartitions: Gauge;
  /** Set by the sink once its consumer exists; read by the `_kafka_*` gauges at scrape time. */
  kafkaReach: KafkaReachability | null = null;

  constructor(registry: Registry = createRegistry('sink')) {
    this.registry = registry;
    const r = [registry];
    this.records = new Counter({ name: 'tickstream_sink_records_total', help: 'messages consumed, by result (tick or dead_letter)', labelNames: ['result'], registers: r });
    this.filesWritten = new Counter({ name: 'tickstream_sink_files_written_total', help: 'Parquet objects written', labelNames: ['table'], registers: r });
    this.bytesWritten = new Counter({ name: 'tickstream_sink_bytes_written_total', help: 'bytes of Parquet objects written', labelNames: ['table'], registers: r });
    this.rowsWritten = new Counter({ name: 'tickstream_sink_rows_written_total', help: 'rows in the Parquet objects written', labelNames: ['table'], registers: r });
    this.batchesCommitted = new Counter({ name: 'tickstream_sink_batches_committed_total', help: 'batches written and committed, by rotation reason', labelNames: ['reason'], registers: r });
    this.commitLatency = new Histogram({
      name: 'tickstream_sink_commit_latency_seconds',
      help: 'time from a batch being closed to its offsets being committed (encode + write + commit)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: r,
    });
    this.storeErrors = new Counter({ name: 'tickstream_sink_store_errors_total', help: 'failed object store operations (each is retried)', labelNames: ['op'], registers: r });
    this.commitErrors = new Counter({ name: 'tickstream_sink_commit_errors_total', help: 'failed offset commits (retried unless the partition was revoked)', registers: r });
    this.rebalances = new Counter({ name: 'tickstream_sink_rebalances_total', help: 'partition assignments and revocations', labelNames: ['kind'], registers: r });
    this.rolledBack = new Counter({ name: 'tickstream_sink_rolled_back_batches_total', help: 'uncommitted batches whose objects recovery deleted', registers: r });
    this.droppedOnRevoke = new Counter({ name: 'tickstream_sink_dropped_on_revoke_total', help: 'buffered messages dropped because their partition was revoked (re-read by the next owner)', registers: r });
    this.lag = new Gauge({ name: 'tickstream_sink_consumer_lag', help: 'messages between the committed offset and the high watermark', labelNames: ['partition'], registers: r });
    this.pausedPartitions = new Gauge({ name: 'tickstream_sink_paused_partitions', help: 'partitions paused by backpressure', registers: r });
    this.bufferedBytes = new Gauge({ name: 'tickstream_sink_buffered_bytes', help: 'memory held by open and unwritten batches', registers: r });
    this.assignedPartitions = new Gauge({ name: 'tickstream_sink_assigned_partitions', help: 'partitions this instance owns', registers: r });
    reachabilityGauges(registry, 'tickstream_sink', () => this.kafkaReach);
  }
}
