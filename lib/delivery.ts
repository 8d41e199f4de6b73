/**
 * What a librdkafka delivery report proves. Pure functions, shared by the producer and the
 * sink's dead-letter producer.
 *
 * librdkafka reports a message as delivered in two ways: the broker acknowledged the batch
 * holding it (the report carries the offset it was written at), or a *later* batch of the
 * same partition was acknowledged while this one was to be retried, and librdkafka concludes
 * the earlier one must have been written too ("implicit ack", rd_kafka_dr_implicit_ack:
 * no error, offset -1001). That conclusion holds only if the broker enforces the
 * idempotent sequence from the first batch on, which Kafka before 4.5 does not for a
 * producer it has no state for (KAFKA-15591): right after topic creation the first batch
 * can be refused and the second accepted as the first, and the implicitly acknowledged
 * messages were never written. So a report without an offset is *unconfirmed*, not delivered.
 */

export type DeliveryOutcome = 'delivered' | 'failed' | 'unconfirmed';

/** RD_KAFKA_OFFSET_INVALID: what a report carries when no broker gave an offset. */
export const NO_OFFSET = -1001;

export function classifyReport(err: { readonly code?: number } | null | undefined, offset: number | undefined): DeliveryOutcome {
  if (err) return 'failed';
  if (offset === undefined || !Number.isInteger(offset) || offset < 0) return 'unconfirmed';
  return 'delivered';
}

/** One implicit acknowledgement, as librdkafka's IMPLICITACK debug line states it. */
export interface ImplicitAck {
  readonly topic: string;
  readonly partition: number;
  readonly count: number;
  /** librdkafka's per-partition message ids (1 = the first message this client produced to the partition). */
  readonly firstMsgid: number;
  readonly lastMsgid: number;
}

// "[thrd:127.0.0.1:21093/bootstrap]: 127.0.0.1:21093/2: ticks [1] 1 message(s) implicitly acked by
//  subsequent batch success (msgids 1..1, last acked 2)" (rdkafka_broker.c, librdkafka 2.x)
const IMPLICIT_ACK = /(\S+) \[(\d+)\] (\d+) message\(s\) implicitly acked by subsequent batch success \(msgids (\d+)\.\.(\d+), last acked \d+\)/;

/**
 * Parses librdkafka's IMPLICITACK debug line (facility `IMPLICITACK`, logged with the `eos`
 * or `msg` debug context); null for any other line. The producer asks for failure reports
 * only, so this line is the one sign it gets that messages were acknowledged implicitly.
 */
export function parseImplicitAck(facility: string, message: string): ImplicitAck | null {
  if (facility !== 'IMPLICITACK') return null;
  const m = IMPLICIT_ACK.exec(message);
  if (!m) return null;
  return { topic: m[1]!, partition: Number(m[2]), count: Number(m[3]), firstMsgid: Number(m[4]), lastMsgid: Number(m[5]) };
}

/**
 * librdkafka debug contexts with `eos` added: the idempotence context logs a handful of
 * lines per producer life (producer id, epoch, sequence resets, implicit acks), not per
 * message, and is what makes an implicit ack visible to a client without success reports.
 */
export function withEosDebug(debug: string | undefined): string {
  const contexts = (debug ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  if (contexts.includes('eos') || contexts.includes('all')) return contexts.join(',');
  return [...contexts, 'eos'].join(',');
}
