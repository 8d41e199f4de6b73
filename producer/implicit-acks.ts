/**
 * The producer's account of implicit acknowledgements (see producer/publisher.ts, "Implicit
 * acks", and docs/producer.md): each one librdkafka states is recorded (ticks counted
 * unconfirmed, dead letters failed), and after the final flush the partitions are read back
 * (producer/recheck.ts): a tick found counts delivered, one absent counts failed, one that
 * cannot be re-checked stays unconfirmed. Kept apart from the client so the rule reads in
 * one place.
 */
import type { ImplicitAck } from '../lib/delivery.js';
import type { TopicNames } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import type { UnsettledTick } from './native-ticks.js';
import { findTicks, tickId, type SentLog } from './recheck.js';

const IMPLICIT_ACK_REASON = 'acknowledged without an offset (librdkafka implicit ack): unconfirmed';
const ABSENT_REASON = 'acknowledged without an offset (librdkafka implicit ack) and absent from its partition when re-read';
const LOGGED_TICKS = 20;

/** An implicit acknowledgement of ticks and what re-reading the partition found. */
export interface ImplicitAckOutcome extends ImplicitAck {
  /** Found in the partition: delivered after all. */
  confirmed: number;
  /** Not in the partition: failed. */
  absent: number;
}

/** The producer's counts an implicit acknowledgement moves. */
export interface AckAccount {
  unconfirmed: number;
  failed: number;
  dlqFailed: number;
  readonly failureReasons: Map<string, number>;
}

function countReason(account: AckAccount, reason: string, n: number): void {
  account.failureReasons.set(reason, (account.failureReasons.get(reason) ?? 0) + n);
}

/** Records one implicit acknowledgement librdkafka stated: ticks unconfirmed until re-checked, dead letters failed. */
export function recordImplicitAck(account: AckAccount, acks: ImplicitAckOutcome[], parsed: ImplicitAck, topics: TopicNames, logger: Logger): ImplicitAckOutcome {
  const ack: ImplicitAckOutcome = { ...parsed, confirmed: 0, absent: 0 };
  acks.push(ack);
  if (ack.topic === topics.dlq) {
    account.dlqFailed += ack.count;
    countReason(account, IMPLICIT_ACK_REASON, ack.count);
  } else {
    account.unconfirmed += ack.count;
  }
  logger.error(
    { topic: ack.topic, partition: ack.partition, messages: ack.count, msgids: `${ack.firstMsgid}..${ack.lastMsgid}` },
    `${ack.count} message(s) acknowledged without an offset (librdkafka implicit ack); ` +
      (ack.topic === topics.dlq ? 'dead letters counted failed' : 'counted unconfirmed until re-checked'),
  );
  return ack;
}

export interface RecheckInput {
  readonly account: AckAccount;
  readonly acks: readonly ImplicitAckOutcome[];
  /** Ticks of the native client's implicit acks, by the entry they count in. */
  readonly nativeUnconfirmed: ReadonlyMap<ImplicitAckOutcome, readonly UnsettledTick[]>;
  /** Which tick each recent message id of node-rdkafka's client was. */
  readonly sent: SentLog;
  /** End offset of each ticks partition when the run started: where a re-check reads from. */
  readonly startOffsets: ReadonlyMap<number, number>;
  readonly kafka: KafkaConfig;
  readonly topic: string;
  readonly logger: Logger;
  readonly timeoutMs: number;
}

/**
 * Re-reads the partitions of implicitly acknowledged ticks (call after the final flush):
 * each tick found there counts delivered, each one absent counts failed (and is logged by
 * symbol and seq); ticks that cannot be re-checked (the partition's start offset unknown,
 * the read failed or timed out, the tick no longer remembered) stay unconfirmed.
 */
export async function recheckImplicitAcks(input: RecheckInput): Promise<void> {
  const { account, topic, logger } = input;
  const byPartition = new Map<number, Array<{ ack: ImplicitAckOutcome; symbol: string; seq: number }>>();
  const add = (ack: ImplicitAckOutcome, ticks: ReadonlyArray<{ symbol: string; seq: number }>): void => {
    const list = byPartition.get(ack.partition) ?? [];
    // A value without a seq cannot be told from other runs' ticks: not re-checkable.
    for (const t of ticks) if (t.seq >= 0) list.push({ ack, symbol: t.symbol, seq: t.seq });
    if (list.length > 0) byPartition.set(ack.partition, list);
  };
  for (const ack of input.acks) {
    if (ack.topic !== topic || ack.confirmed + ack.absent > 0) continue;
    const native = input.nativeUnconfirmed.get(ack);
    if (native) {
      add(ack, native);
      continue;
    }
    const { ticks, forgotten } = input.sent.find(ack.partition, ack.firstMsgid, ack.lastMsgid);
    if (forgotten > 0) logger.error({ partition: ack.partition, forgotten }, 'implicitly acknowledged ticks no longer remembered; they stay unconfirmed');
    add(ack, ticks);
  }
  for (const [partition, list] of byPartition) {
    const from = input.startOffsets.get(partition);
    if (from === undefined) {
      logger.error({ partition, ticks: list.length }, 'cannot re-check implicitly acknowledged ticks (start offset unknown); they stay unconfirmed');
      continue;
    }
    let found: Set<string>;
    try {
      found = await findTicks(input.kafka, topic, partition, from, new Set(list.map((t) => tickId(t.symbol, t.seq))), input.timeoutMs);
    } catch (err) {
      logger.error({ partition, err: (err as Error).message }, 're-check of implicitly acknowledged ticks failed; they stay unconfirmed');
      continue;
    }
    const absent: string[] = [];
    for (const t of list) {
      account.unconfirmed -= 1;
      if (found.has(tickId(t.symbol, t.seq))) {
        t.ack.confirmed += 1;
      } else {
        t.ack.absent += 1;
        account.failed += 1;
        countReason(account, ABSENT_REASON, 1);
        absent.push(`${t.symbol}#${t.seq}`);
      }
    }
    logger[absent.length > 0 ? 'error' : 'info'](
      { topic, partition, from, confirmed: list.length - absent.length, absent: absent.slice(0, LOGGED_TICKS) },
      absent.length > 0
        ? `${absent.length} implicitly acknowledged tick(s) are not in their partition: counted failed`
        : `${list.length} implicitly acknowledged tick(s) found in their partition: counted delivered`,
    );
  }
}
