/**
 * A producer's counters: `ProducerCounts`, the one count type, and `ProducerStatus`, the
 * counts at one moment with what the metrics endpoint reads (producer/metrics.ts); the
 * progress line reads its projection `progressSnapshot`, and the run's summary
 * (producer/summary.ts) extends the same counts. With several workers
 * (producer/workers.ts) each sends its status to the parent, which adds them up here and
 * shows the sum through the same metrics and progress code. Pure.
 */
import type { ProgressSnapshot } from './progress.js';
import type { Publisher, RdkafkaStats } from './publisher.js';

/** What a run counts, as metrics, progress and summary show it. */
export interface ProducerCounts {
  readonly ticksProduced: number;
  /** Acknowledged by the cluster (acks=all). */
  readonly ticksDelivered: number;
  readonly ticksFailed: number;
  /**
   * Not known to be written: acknowledged without an offset (librdkafka implicit ack,
   * lib/delivery.ts) and not re-checkable, or (in a summary) still in flight when the flush
   * timed out. Never counted delivered.
   */
  readonly ticksUnconfirmed: number;
  /** Rejected rows and ticks published to the dead-letter topic. */
  readonly deadLetters: number;
  readonly deadLettersFailed: number;
  /** Times publishing paused because the client queue was full. */
  readonly queueFullWaits: number;
}

export const ZERO_COUNTS: ProducerCounts = {
  ticksProduced: 0,
  ticksDelivered: 0,
  ticksFailed: 0,
  ticksUnconfirmed: 0,
  deadLetters: 0,
  deadLettersFailed: 0,
  queueFullWaits: 0,
};

/**
 * A publisher's counts now: delivered is what was produced and is neither failed,
 * unconfirmed nor still in flight (`inFlight`, 0 once flushed).
 */
export function countsOf(
  p: Pick<Publisher, 'produced' | 'failed' | 'unconfirmed' | 'dlqFailed' | 'queueFullWaits'>,
  deadLetters: number,
  inFlight: number,
  unconfirmed: number = p.unconfirmed,
): ProducerCounts {
  return {
    ticksProduced: p.produced,
    ticksDelivered: Math.max(0, p.produced - p.failed - unconfirmed - inFlight),
    ticksFailed: p.failed,
    ticksUnconfirmed: unconfirmed,
    deadLetters,
    deadLettersFailed: p.dlqFailed,
    queueFullWaits: p.queueFullWaits,
  };
}

/** Several runs' (workers') counts added up. */
export function sumCounts(list: readonly ProducerCounts[]): ProducerCounts {
  const sum = (pick: (s: ProducerCounts) => number): number => list.reduce((t, s) => t + pick(s), 0);
  return {
    ticksProduced: sum((s) => s.ticksProduced),
    ticksDelivered: sum((s) => s.ticksDelivered),
    ticksFailed: sum((s) => s.ticksFailed),
    ticksUnconfirmed: sum((s) => s.ticksUnconfirmed),
    deadLetters: sum((s) => s.deadLetters),
    deadLettersFailed: sum((s) => s.deadLettersFailed),
    queueFullWaits: sum((s) => s.queueFullWaits),
  };
}

export interface ProducerStatus extends ProducerCounts {
  /** CSV data rows read so far. */
  readonly rows: number;
  /** Live clock: how far sending is behind the schedule. */
  readonly lagMs: number;
  /** librdkafka's latest statistics (the fields `pickStats` keeps). */
  readonly stats: RdkafkaStats;
  /** Epoch ms since which no broker answers (null or absent while one does). */
  readonly kafkaUnreachableSince?: number | null;
  /** CSV replay: bytes of the file read so far and its size (0 for the simulator). */
  readonly bytesRead: number;
  readonly totalBytes: number;
  /** Ticks produced but not yet acknowledged or failed. */
  readonly queued: number;
  readonly csv: boolean;
}

export const EMPTY_STATUS: ProducerStatus = {
  ...ZERO_COUNTS,
  rows: 0,
  lagMs: 0,
  stats: {},
  bytesRead: 0,
  totalBytes: 0,
  queued: 0,
  csv: false,
};

export function progressSnapshot(s: ProducerStatus): ProgressSnapshot {
  return {
    ...(s.csv ? { rows: s.rows, bytesRead: s.bytesRead, totalBytes: s.totalBytes } : {}),
    ticksProduced: s.ticksProduced,
    ticksDelivered: s.ticksDelivered,
    deadLetters: s.deadLetters,
    failed: s.ticksFailed,
    queued: s.queued,
  };
}

/** The fields of librdkafka's statistics the metrics read (the full JSON is large). */
export function pickStats(s: RdkafkaStats): RdkafkaStats {
  const brokers: Record<string, NonNullable<RdkafkaStats['brokers']>[string]> = {};
  for (const [name, b] of Object.entries(s.brokers ?? {})) {
    brokers[name] = dropUndefined({
      nodeid: b.nodeid,
      state: b.state,
      outbuf_msg_cnt: b.outbuf_msg_cnt,
      waitresp_msg_cnt: b.waitresp_msg_cnt,
      txretries: b.txretries,
      txerrs: b.txerrs,
      rtt: b.rtt ? dropUndefined({ avg: b.rtt.avg, p99: b.rtt.p99 }) : undefined,
    });
  }
  return { ...dropUndefined({ msg_cnt: s.msg_cnt, msg_size: s.msg_size, txmsgs: s.txmsgs, tx_bytes: s.tx_bytes, txmsg_bytes: s.txmsg_bytes }), brokers };
}

const add = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));

/**
 * Several clients' statistics as one: counts and queue depths add up; a broker is UP only
 * when every client that knows it is connected; round trips take the mean (avg) and the
 * worst (p99).
 */
export function mergeStats(list: readonly RdkafkaStats[]): RdkafkaStats {
  const brokers: Record<string, NonNullable<RdkafkaStats['brokers']>[string]> = {};
  const rttCount = new Map<string, number>();
  let out: RdkafkaStats = {};
  for (const s of list) {
    out = {
      ...out,
      ...dropUndefined({ msg_cnt: add(out.msg_cnt, s.msg_cnt), msg_size: add(out.msg_size, s.msg_size), txmsgs: add(out.txmsgs, s.txmsgs), tx_bytes: add(out.tx_bytes, s.tx_bytes), txmsg_bytes: add(out.txmsg_bytes, s.txmsg_bytes) }),
    };
    for (const [name, b] of Object.entries(s.brokers ?? {})) {
      const seen = brokers[name];
      if (!seen) {
        brokers[name] = { ...b, ...(b.rtt ? { rtt: { ...b.rtt } } : {}) };
        if (b.rtt?.avg !== undefined) rttCount.set(name, 1);
        continue;
      }
      const n = rttCount.get(name) ?? 0;
      const avg = b.rtt?.avg === undefined ? seen.rtt?.avg : ((seen.rtt?.avg ?? 0) * n + b.rtt.avg) / (n + 1);
      if (b.rtt?.avg !== undefined) rttCount.set(name, n + 1);
      const p99 = Math.max(seen.rtt?.p99 ?? Number.NEGATIVE_INFINITY, b.rtt?.p99 ?? Number.NEGATIVE_INFINITY);
      brokers[name] = dropUndefined({
        nodeid: seen.nodeid ?? b.nodeid,
        // UP only if UP for both: the first one's state unless that is UP, then the other's.
        state: seen.state !== 'UP' ? seen.state : b.state,
        outbuf_msg_cnt: add(seen.outbuf_msg_cnt, b.outbuf_msg_cnt),
        waitresp_msg_cnt: add(seen.waitresp_msg_cnt, b.waitresp_msg_cnt),
        txretries: add(seen.txretries, b.txretries),
        txerrs: add(seen.txerrs, b.txerrs),
        rtt: dropUndefined({ avg, p99: Number.isFinite(p99) ? p99 : undefined }),
      });
    }
  }
  return { ...out, brokers };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The workers' statuses as one. Every worker reads the whole CSV file, so rows and bytes
 * read are the same file's: the least advanced worker says how far the run is.
 */
export function sumStatuses(list: readonly ProducerStatus[]): ProducerStatus {
  if (list.length === 0) return EMPTY_STATUS;
  return {
    ...sumCounts(list),
    rows: Math.min(...list.map((s) => s.rows)),
    bytesRead: Math.min(...list.map((s) => s.bytesRead)),
    totalBytes: Math.max(...list.map((s) => s.totalBytes)),
    queued: list.reduce((t, s) => t + s.queued, 0),
    lagMs: Math.max(...list.map((s) => s.lagMs)),
    stats: mergeStats(list.map((s) => s.stats)),
    kafkaUnreachableSince: earliest(list.map((s) => s.kafkaUnreachableSince ?? null)),
    csv: list.some((s) => s.csv),
  };
}

/** The earliest of the workers' outage starts: Kafka counts as unreachable while any worker finds it so. */
function earliest(list: ReadonlyArray<number | null>): number | null {
  const known = list.filter((x): x is number => x !== null);
  return known.length > 0 ? Math.min(...known) : null;
}
