/**
 * What a run did, in one record: printed at the end of `tickstream produce`, logged by the
 * service, and read by tests and benchmarks. Pure.
 */
import { formatRejectGroups, mergeRejectGroups, type RejectGroup, type Verdict } from './rejects.js';
import type { BomKind } from './sources/bom.js';
import { sumCounts, type ProducerCounts } from './status.js';
import { delimiterName } from './sources/detect.js';

/** How a CSV was read: the resolved settings (what `auto` became) and the layout found. */
export interface RunFormat {
  readonly dateFormat: string;
  readonly delimiter: string;
  readonly decimal: string;
  readonly layout?: string;
}

/** What a run did: its counts (`ProducerCounts`, exact when `flushed`) and the rest of its story. */
export interface RunSummary extends ProducerCounts {
  readonly source: 'csv' | 'sim';
  readonly file?: string;
  /** How the header was mapped, e.g. `symbol=Index date=Date open=Open ...`. */
  readonly mapping?: string;
  readonly bom?: BomKind;
  readonly format?: RunFormat;
  /** Data rows read (header and blank lines excluded). */
  readonly rows: number;
  readonly blankLines: number;
  /** Rows accepted as bars. */
  readonly bars: number;
  /**
   * Implicit acknowledgements (absent when none), by topic and partition: how many messages,
   * how many the re-check found in the partition (counted delivered) and how many it did not
   * (counted failed); the rest are in ticksUnconfirmed.
   */
  readonly implicitAcks?: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly messages: number; readonly confirmed: number; readonly absent: number }>;
  /** The dead letters grouped by kind of reason, with counts, first lines and a hint (CSV runs). */
  readonly rejects?: readonly RejectGroup[];
  /**
   * Whether the file was publishable and how much of it was rejected (a CSV run that ran to
   * its end; absent in a worker's own summary, which sees only its share of the bars).
   */
  readonly verdict?: Verdict;
  readonly seconds: number;
  /** Ticks produced per second of the run. */
  readonly ticksPerSecond: number;
  /** Stopped by SIGINT/SIGTERM before the source ended. */
  readonly interrupted: boolean;
  /** Every produced message reached a final state before shutdown. */
  readonly flushed: boolean;
  /** No Kafka broker answered when the run ended (its unconfirmed ticks could not be delivered). */
  readonly kafkaUnreachable?: boolean;
  readonly failureReasons: Readonly<Record<string, number>>;
  /** Peak resident memory of the process (getrusage maxrss). */
  readonly maxRssBytes: number;
  /** Worker processes of the run (producer.workers); absent for a single process. */
  readonly workers?: number;
  readonly error?: string;
}

/** The exit status of a run that ended with no Kafka broker answering and ticks unconfirmed (EX_TEMPFAIL). */
export const EXIT_KAFKA_UNREACHABLE = 75;

/**
 * 0 when everything produced was acknowledged; 75 when ticks are unconfirmed because no
 * broker answered at the end (a stop during an outage); 1 when any delivery failed or is
 * unknown otherwise, or the run failed.
 */
export function exitCodeOf(summary: RunSummary): number {
  const lost = summary.ticksFailed + summary.deadLettersFailed + summary.ticksUnconfirmed;
  if (summary.error === undefined && summary.kafkaUnreachable && (lost > 0 || !summary.flushed)) return EXIT_KAFKA_UNREACHABLE;
  if (lost > 0 || !summary.flushed || summary.error !== undefined) return 1;
  // Delivered, but nothing of the file was publishable (or too much was rejected under --strict).
  return summary.verdict?.exitCode ?? 0;
}

/**
 * The workers' summaries of one run as one (producer/workers.ts). Every worker reads the
 * whole file, so rows and blank lines are the file's; bars, ticks and dead letters are
 * each counted by exactly one worker and add up. Errors are expected to name their worker.
 */
export function combineSummaries(parts: readonly RunSummary[], whole: { readonly seconds: number; readonly maxRssBytes: number }): RunSummary {
  if (parts.length === 0) throw new RangeError('no summaries to combine');
  const sum = (pick: (s: RunSummary) => number): number => parts.reduce((t, s) => t + pick(s), 0);
  const failureReasons: Record<string, number> = {};
  for (const s of parts) for (const [reason, count] of Object.entries(s.failureReasons)) failureReasons[reason] = (failureReasons[reason] ?? 0) + count;
  const errors = [...new Set(parts.flatMap((s) => (s.error ? [s.error] : [])))];
  // A worker that died without reporting knows nothing of the file's header: name it from another.
  const first = parts.find((s) => s.error === undefined) ?? parts[0]!;
  const counts = sumCounts(parts);
  const ticksProduced = counts.ticksProduced;
  const implicitAcks = parts.flatMap((s) => s.implicitAcks ?? []);
  const rejects = parts.some((s) => s.rejects !== undefined) ? mergeRejectGroups(parts.map((s) => s.rejects ?? [])) : undefined;
  return {
    source: first.source,
    ...(first.file !== undefined ? { file: first.file } : {}),
    ...(first.mapping !== undefined ? { mapping: first.mapping } : {}),
    ...(first.bom !== undefined ? { bom: first.bom } : {}),
    ...(first.format !== undefined ? { format: first.format } : {}),
    rows: Math.max(...parts.map((s) => s.rows)),
    blankLines: Math.max(...parts.map((s) => s.blankLines)),
    bars: sum((s) => s.bars),
    ...counts,
    ...(rejects ? { rejects } : {}),
    seconds: whole.seconds,
    ticksPerSecond: whole.seconds > 0 ? ticksProduced / whole.seconds : 0,
    interrupted: parts.some((s) => s.interrupted),
    flushed: parts.every((s) => s.flushed),
    kafkaUnreachable: parts.some((s) => s.kafkaUnreachable === true),
    failureReasons,
    ...(implicitAcks.length > 0 ? { implicitAcks } : {}),
    maxRssBytes: whole.maxRssBytes,
    workers: parts.length,
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
}

const n = (x: number): string => x.toLocaleString('en-US');

/** Human lines for the end of a terminal run. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `source          ${s.source === 'csv' ? `csv ${s.file ?? ''}` : 'simulator (GBM)'}${s.interrupted ? ' (interrupted)' : ''}`,
  ];
  if (s.source === 'csv') {
    lines.push(`rows            ${n(s.rows)} read, ${n(s.bars)} bars, ${n(s.blankLines)} blank lines`);
    if (s.mapping) lines.push(`columns         ${s.mapping}`);
    if (s.format) {
      lines.push(
        `format          dates ${s.format.dateFormat}, delimiter ${delimiterName(s.format.delimiter)}, decimal ${JSON.stringify(s.format.decimal)}` +
          (s.format.layout ? `; ${s.format.layout}` : ''),
      );
    }
    if (s.bom && s.bom !== 'none') lines.push(`byte-order mark ${s.bom} (removed)`);
  }
  lines.push(
    `ticks           ${n(s.ticksProduced)} produced, ${n(s.ticksDelivered)} delivered, ${n(s.ticksFailed)} failed` +
      (s.ticksUnconfirmed > 0 ? `, ${n(s.ticksUnconfirmed)} unconfirmed` : ''),
    ...(s.implicitAcks && s.implicitAcks.length > 0
      ? [
          `implicit acks   ${n(s.implicitAcks.reduce((t, a) => t + a.messages, 0))} (librdkafka, no offset): ` +
            `${n(s.implicitAcks.reduce((t, a) => t + a.confirmed, 0))} found on re-read, ${n(s.implicitAcks.reduce((t, a) => t + a.absent, 0))} absent`,
        ]
      : []),
    `dead letters    ${n(s.deadLetters)}${s.deadLettersFailed > 0 ? ` (${n(s.deadLettersFailed)} failed to deliver)` : ''}`,
    `time            ${s.seconds.toFixed(1)} s, ${n(Math.round(s.ticksPerSecond))} ticks/s, peak RSS ${(s.maxRssBytes / 1048576).toFixed(0)} MiB` +
      (s.workers !== undefined && s.workers > 1 ? ` (${s.workers} workers together)` : ''),
  );
  if (s.rejects && s.rejects.length > 0) lines.push('rejected rows   by reason (each is a dead letter with its line and full reason):', ...formatRejectGroups(s.rejects, '  '));
  for (const [reason, count] of Object.entries(s.failureReasons)) lines.push(`failure         ${n(count)} x ${reason}`);
  if (s.verdict?.message) lines.push(`${s.verdict.exitCode !== 0 ? 'FAILED ' : 'WARNING'}         ${s.verdict.message}`);
  if (s.error) lines.push(`error           ${s.error}`);
  return lines.join('\n');
}
