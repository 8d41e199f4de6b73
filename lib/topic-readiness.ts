/**
 * When is a topic ready to be produced to? Pure logic over the metadata answers of every
 * broker; lib/admin.ts does the asking.
 *
 * Why every broker, and why the leader's own answer matters: right after a topic is created
 * the controller tells the chosen leaders to lead and every broker to update its metadata
 * cache, and these arrive at different brokers at different times. A producer that learns
 * "broker B leads partition p" from broker A can reach B before B leads: B refuses the first
 * idempotent batch (sequence 0) with a retriable NOT_LEADER_OR_FOLLOWER, accepts the next
 * one (sequence 1) as the producer's first (Kafka before 4.5 accepts any first sequence
 * from a producer it has no state for, KAFKA-15591), and librdkafka then reports the first
 * batch as delivered without resending it (an "implicit ack"). docs/producer.md, "Topic
 * readiness", has the evidence. So a topic is used only when every broker's answer agrees:
 * every partition has a leader, the same one in every answer (the leader's own answer
 * included: ZooKeeper-mode brokers update their cache after they took leadership), and an
 * in-sync replica set holding every replica that sits on a live broker.
 */
import type { ClusterMetadata } from './kafka-probe.js';

/** One broker's answer, or why it gave none. */
export interface BrokerAnswer {
  /** `host:port` that was asked. */
  readonly address: string;
  readonly nodeId: number;
  readonly metadata: ClusterMetadata | null;
  readonly error: string | null;
}

/**
 * The reasons the topics are not ready yet (empty: ready). `liveBrokers` are the node ids
 * registered in the cluster (every one of them must have answered). With `fullIsr` (the
 * default, for topics just created) every replica on a live broker must be in the ISR too:
 * a fresh topic on a healthy cluster starts with its full ISR. Without it (topics that
 * existed before) a replica that is catching up, say after a broker restart, does not hold
 * back a producer: min.insync.replicas guards those writes.
 */
export function readinessProblems(
  answers: readonly BrokerAnswer[],
  liveBrokers: readonly number[],
  topics: readonly string[],
  options: { readonly fullIsr?: boolean } = {},
): string[] {
  const fullIsr = options.fullIsr ?? true;
  const problems: string[] = [];
  if (answers.length === 0) return ['no broker answered'];
  const live = new Set(liveBrokers);
  for (const id of liveBrokers) {
    if (!answers.some((a) => a.nodeId === id)) problems.push(`broker ${id} was not asked`);
  }
  for (const a of answers) {
    if (!a.metadata) problems.push(`broker ${a.nodeId} (${a.address}) did not answer: ${a.error ?? 'no answer'}`);
  }
  const answered = answers.filter((a): a is BrokerAnswer & { metadata: ClusterMetadata } => a.metadata !== null);
  for (const name of topics) {
    // partition -> leader seen by the first broker that reported it
    const leaders = new Map<number, { leader: number; by: number }>();
    let partitionCount: number | null = null;
    for (const a of answered) {
      const t = a.metadata.topics.find((x) => x.name === name);
      if (!t || t.errorCode !== 0) {
        problems.push(`${name}: broker ${a.nodeId} does not know the topic${t ? ` (error ${t.errorCode})` : ''}`);
        continue;
      }
      if (t.partitions.length === 0) {
        problems.push(`${name}: broker ${a.nodeId} lists no partitions`);
        continue;
      }
      if (partitionCount !== null && partitionCount !== t.partitions.length) {
        problems.push(`${name}: brokers disagree on the partition count (${partitionCount} vs ${t.partitions.length} at broker ${a.nodeId})`);
      }
      partitionCount ??= t.partitions.length;
      for (const p of t.partitions) {
        const where = `${name}[${p.partition}] at broker ${a.nodeId}`;
        if (p.errorCode !== 0 || p.leader < 0) {
          problems.push(`${where}: no leader${p.errorCode !== 0 ? ` (error ${p.errorCode})` : ''}`);
          continue;
        }
        const missing = fullIsr ? p.replicas.filter((r) => live.has(r) && !p.isr.includes(r)) : [];
        if (missing.length > 0) problems.push(`${where}: replicas ${missing.join(',')} not in sync (isr ${p.isr.join(',')})`);
        const seen = leaders.get(p.partition);
        if (!seen) leaders.set(p.partition, { leader: p.leader, by: a.nodeId });
        else if (seen.leader !== p.leader) {
          problems.push(`${name}[${p.partition}]: broker ${seen.by} says leader ${seen.leader}, broker ${a.nodeId} says ${p.leader}`);
        }
      }
    }
  }
  return problems;
}
