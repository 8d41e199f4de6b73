/**
 * Settings of the sink service: where the lake is (a folder or `s3://bucket/prefix`), how
 * the consumer group is named, when a batch of one Kafka partition is closed into files,
 * and how much the sink may hold in memory before it pauses the partitions.
 */
import {
  boolSetting,
  enumSetting,
  intSetting,
  stringSetting,
  type ConfigOf,
  type Setting,
} from '../lib/config.js';
import { partitioningSetting, sharedSpec } from '../lib/settings.js';
import { MAX_ROW_GROUP_ROWS } from './format/parquet.js';

export const lakeSettings = {
  root: stringSetting({
    env: 'TICKSTREAM_LAKE',
    default: './lake',
    doc: 'lake root: a folder, or s3://bucket/prefix',
  }),
  partitioning: partitioningSetting,
  s3Endpoint: stringSetting({
    env: 'TICKSTREAM_S3_ENDPOINT',
    default: undefined,
    pattern: /^https?:\/\/[^\s]+$/,
    patternDoc: 'an http(s):// URL',
    doc: 'S3 endpoint of an S3-compatible server (moto, MinIO); unset means AWS',
  }),
  s3Region: stringSetting({ env: 'TICKSTREAM_S3_REGION', default: undefined, doc: 'S3 region (default: AWS_REGION, else us-east-1)' }),
  multipartThresholdMb: intSetting({
    env: 'TICKSTREAM_S3_MULTIPART_MB',
    default: 16,
    min: 5,
    max: 5120,
    doc: 'objects at least this large (MiB) are uploaded in parts',
  }),
  requestTimeoutMs: intSetting({
    env: 'TICKSTREAM_S3_REQUEST_TIMEOUT_MS',
    default: 30_000,
    min: 100,
    doc: 'timeout of one S3 request; a hung server counts as an error and is retried',
  }),
} as const;

/** Positive integers that read as "off" when 0. */
function optionalPositive(env: string, def: number, doc: string): Setting<number> {
  return intSetting({ env, default: def, min: 0, doc: `${doc} (0: off)` });
}

export const sinkSettings = {
  group: stringSetting({ env: 'TICKSTREAM_SINK_GROUP', default: 'tickstream-sink', doc: 'Kafka consumer group id' }),
  workers: intSetting({
    env: 'TICKSTREAM_SINK_WORKERS',
    default: 1,
    min: 1,
    max: 64,
    doc: 'sink processes in the group, started and supervised by this one (worker i serves metrics on metricsPort+i-1, static membership as instanceId-i)',
  }),
  instanceId: stringSetting({
    env: 'TICKSTREAM_SINK_INSTANCE_ID',
    default: undefined,
    pattern: /^[A-Za-z0-9._-]+$/,
    patternDoc: 'letters, digits, ".", "_" or "-"',
    doc: 'static group membership (group.instance.id): a restart within the session timeout keeps its partitions without a rebalance',
  }),
  sessionTimeoutMs: intSetting({
    env: 'TICKSTREAM_SINK_SESSION_TIMEOUT_MS',
    default: 30_000,
    min: 6_000,
    max: 300_000,
    doc: 'group session timeout: how long a dead sink holds its partitions',
  }),
  // A batch is written to disk chunk by chunk as it fills (spool.ts), so its size no longer
  // costs memory: the limits aim at files of ~64 MiB (about 16 bytes of Parquet per tick).
  rotateRecords: intSetting({
    env: 'TICKSTREAM_SINK_ROTATE_RECORDS',
    default: 4_000_000,
    min: 1,
    doc: 'close a batch after this many messages of one Kafka partition',
  }),
  rotateBytes: intSetting({
    env: 'TICKSTREAM_SINK_ROTATE_BYTES',
    default: 1024 * 1024 * 1024,
    min: 1024,
    doc: 'close a batch once its messages add up to this many bytes (key + value)',
  }),
  spillRows: intSetting({
    env: 'TICKSTREAM_SINK_SPILL_ROWS',
    default: MAX_ROW_GROUP_ROWS,
    min: 1,
    doc: 'ticks an open batch holds in memory before they are encoded into its files in the spool (one Parquet row group by default)',
  }),
  spoolDir: stringSetting({
    env: 'TICKSTREAM_SINK_SPOOL_DIR',
    default: undefined,
    doc: 'local folder for the files of open batches (default: <lake>/_sink/spool for a folder lake, <tmp>/tickstream-spool for S3)',
  }),
  // Off by default: a batch closes when event time moves into the next time partition
  // (rotation.ts), not after an hour of event time, which cut replayed history into slivers.
  rotateEventMs: optionalPositive(
    'TICKSTREAM_SINK_ROTATE_EVENT_MS',
    0,
    'close a batch when a tick is this far (event time) from the batch\'s first tick',
  ),
  flushIntervalMs: optionalPositive(
    'TICKSTREAM_SINK_FLUSH_INTERVAL_MS',
    60_000,
    'wall-clock flush: close a batch this long after its first message arrived, for latency',
  ),
  idleFlushMs: optionalPositive(
    'TICKSTREAM_SINK_IDLE_FLUSH_MS',
    5_000,
    'wall-clock flush: close a batch when no message arrived for it this long, for latency at the end of a burst',
  ),
  maxBufferedMb: intSetting({
    env: 'TICKSTREAM_SINK_MAX_BUFFERED_MB',
    default: 128,
    min: 1,
    doc: 'pause every partition while open and unwritten batches hold this much memory (MiB)',
  }),
  maxPendingBatches: intSetting({
    env: 'TICKSTREAM_SINK_MAX_PENDING_BATCHES',
    default: 2,
    min: 1,
    doc: 'pause a partition while this many of its closed batches wait to be written',
  }),
  consumeBatch: intSetting({ env: 'TICKSTREAM_SINK_CONSUME_BATCH', default: 5000, min: 1, doc: 'messages taken from librdkafka per poll' }),
  // The consumer reads in bulk: fetches far larger than librdkafka's defaults for a
  // latency-bound client. queuedMaxMb bounds what librdkafka prefetches, outside maxBufferedMb.
  fetchMaxMb: intSetting({ env: 'TICKSTREAM_SINK_FETCH_MAX_MB', default: 50, min: 1, max: 1024, doc: 'largest fetch response from one broker (MiB, fetch.max.bytes)' }),
  partitionFetchMb: intSetting({ env: 'TICKSTREAM_SINK_PARTITION_FETCH_MB', default: 4, min: 1, max: 1024, doc: 'largest share of one partition in a fetch (MiB, max.partition.fetch.bytes)' }),
  queuedMaxMb: intSetting({ env: 'TICKSTREAM_SINK_QUEUED_MAX_MB', default: 64, min: 1, max: 2048, doc: 'messages librdkafka prefetches ahead of the sink (MiB, queued.max.messages.kbytes)' }),
  retryBaseMs: intSetting({ env: 'TICKSTREAM_SINK_RETRY_BASE_MS', default: 250, min: 1, doc: 'first retry delay after a storage error' }),
  retryMaxMs: intSetting({ env: 'TICKSTREAM_SINK_RETRY_MAX_MS', default: 15_000, min: 1, doc: 'longest retry delay (exponential backoff, jitter)' }),
  revokeWaitMs: intSetting({
    env: 'TICKSTREAM_SINK_REVOKE_WAIT_MS',
    default: 20_000,
    min: 0,
    doc: 'on rebalance, how long a write already under way may finish before its partition is given up',
  }),
  shutdown: enumSetting({
    env: 'TICKSTREAM_SINK_SHUTDOWN',
    values: ['finish', 'abandon'] as const,
    default: 'finish',
    doc: 'on SIGTERM: finish (write and commit open batches) or abandon them (the next owner re-reads them)',
  }),
  shutdownTimeoutMs: intSetting({
    env: 'TICKSTREAM_SINK_SHUTDOWN_TIMEOUT_MS',
    default: 60_000,
    min: 0,
    doc: 'longest a finishing shutdown waits for writes before it abandons the rest',
  }),
  commitTimeoutMs: intSetting({
    env: 'TICKSTREAM_SINK_COMMIT_TIMEOUT_MS',
    default: 10_000,
    min: 100,
    doc: 'longest one offset commit waits for the group coordinator before it counts as failed (and is retried)',
  }),
  closeTimeoutMs: intSetting({
    env: 'TICKSTREAM_SINK_CLOSE_TIMEOUT_MS',
    default: 5_000,
    min: 0,
    doc: 'on stop, longest the Kafka clients may take to leave the group and close (longer during an outage: given up)',
  }),
  bars: boolSetting({ env: 'TICKSTREAM_SINK_BARS', default: true, doc: 'also write processed/bars_1m' }),
  metricsPort: intSetting({ env: 'TICKSTREAM_SINK_METRICS_PORT', default: 9465, min: 0, max: 65535, doc: 'Prometheus /metrics port (0: any free port; the producer uses 9464)' }),
  metricsHost: stringSetting({ env: 'TICKSTREAM_SINK_METRICS_HOST', default: '127.0.0.1', doc: 'address the metrics server binds' }),
  metrics: boolSetting({ env: 'TICKSTREAM_SINK_METRICS', default: true, doc: 'serve Prometheus metrics' }),
} as const;

export const sinkSpec = { ...sharedSpec, lake: lakeSettings, sink: sinkSettings } as const;

export type SinkSpecConfig = ConfigOf<typeof sinkSpec>;
export type LakeConfig = SinkSpecConfig['lake'];
export type SinkConfig = SinkSpecConfig['sink'];
