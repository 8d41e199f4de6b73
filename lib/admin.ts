/**
 * Cluster administration the tools need: create the design's topics (idempotently) and
 * read cluster metadata from whichever bootstrap broker answers.
 */
import Kafka from 'node-rdkafka';
import { clientSettings, type TopicPlan } from './kafka.js';
import { fetchMetadata, type ClusterMetadata, type ProbeSecurity } from './kafka-probe.js';
import { readinessProblems, type BrokerAnswer } from './topic-readiness.js';
import type { KafkaConfig } from './settings.js';

const ERR_TOPIC_ALREADY_EXISTS = 36;

export function parseBootstrap(bootstrap: string): Array<{ host: string; port: number }> {
  return bootstrap.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i).trim(), port: Number(hp.slice(i + 1)) };
  });
}

/** How the metadata probe reaches the listener the client settings name (TLS, SASL login). */
export function probeSecurity(kafka: Pick<KafkaConfig, 'securityProtocol' | 'saslMechanism' | 'saslUsername' | 'saslPassword' | 'caLocation'>): ProbeSecurity {
  const tls = kafka.securityProtocol === 'ssl' || kafka.securityProtocol === 'sasl_ssl';
  const sasl = kafka.securityProtocol.startsWith('sasl');
  if (sasl && (!kafka.saslUsername || !kafka.saslPassword)) {
    throw new Error(`kafka.securityProtocol is ${kafka.securityProtocol} but TICKSTREAM_KAFKA_SASL_USERNAME or the password (TICKSTREAM_KAFKA_SASL_PASSWORD / _FILE) is not set`);
  }
  return {
    ...(tls ? { tls: kafka.caLocation ? { caLocation: kafka.caLocation } : {} } : {}),
    ...(sasl ? { sasl: { mechanism: kafka.saslMechanism, username: kafka.saslUsername!, password: kafka.saslPassword! } } : {}),
  };
}

/**
 * Metadata from the first bootstrap broker that answers; the error lists every attempt.
 * `target`: a bootstrap list (PLAINTEXT), or client settings (their listener's security).
 */
export async function clusterMetadata(target: string | KafkaConfig, topics: readonly string[] | null = null, timeoutMs = 3000): Promise<ClusterMetadata> {
  const failures: string[] = [];
  const bootstrap = typeof target === 'string' ? target : target.bootstrap;
  const security = typeof target === 'string' ? {} : probeSecurity(target);
  for (const { host, port } of parseBootstrap(bootstrap)) {
    try {
      return await fetchMetadata(host, port, { topics, timeoutMs, security });
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw new Error(`no Kafka broker answered at ${bootstrap}: ${failures.join('; ')}`);
}

export interface TopicOutcome {
  readonly name: string;
  readonly action: 'created' | 'exists' | 'partitions-added';
  readonly partitions: number;
  readonly replicationFactor: number;
}

/**
 * Creates each planned topic that does not exist, grows the partition count of one that
 * has fewer than planned (Kafka cannot shrink it), and waits until every broker serves
 * every partition's leader (waitForLeaders) so that the first produce does not race the
 * controller.
 */
export async function ensureTopics(kafka: KafkaConfig, plans: readonly TopicPlan[], timeoutMs = 30_000): Promise<TopicOutcome[]> {
  const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'admin') } as Kafka.GlobalConfig);
  const outcomes: TopicOutcome[] = [];
  try {
    for (const plan of plans) {
      const created = await new Promise<boolean>((resolve, reject) => {
        admin.createTopic(
          { topic: plan.name, num_partitions: plan.partitions, replication_factor: plan.replicationFactor, config: { ...plan.config } },
          timeoutMs,
          (err) => {
            if (!err) resolve(true);
            else if (err.code === ERR_TOPIC_ALREADY_EXISTS) resolve(false);
            else reject(new Error(`creating topic ${plan.name}: ${err.message} (code ${err.code})`));
          },
        );
      });
      if (created) {
        outcomes.push({ name: plan.name, action: 'created', partitions: plan.partitions, replicationFactor: plan.replicationFactor });
        continue;
      }
      const md = await clusterMetadata(kafka, [plan.name]);
      const existing = md.topics.find((t) => t.name === plan.name);
      const count = existing?.partitions.length ?? 0;
      const rf = existing?.partitions[0]?.replicas.length ?? 0;
      if (count < plan.partitions) {
        await new Promise<void>((resolve, reject) => {
          admin.createPartitions(plan.name, plan.partitions, timeoutMs, (err) =>
            err ? reject(new Error(`adding partitions to ${plan.name}: ${err.message}`)) : resolve(),
          );
        });
        outcomes.push({ name: plan.name, action: 'partitions-added', partitions: plan.partitions, replicationFactor: rf });
      } else {
        outcomes.push({ name: plan.name, action: 'exists', partitions: count, replicationFactor: rf });
      }
    }
  } finally {
    admin.disconnect();
  }
  const created = outcomes.filter((o) => o.action === 'created').map((o) => o.name);
  const existing = outcomes.filter((o) => o.action !== 'created').map((o) => o.name);
  if (created.length > 0) await waitForLeaders(kafka, created, timeoutMs, { fullIsr: true });
  if (existing.length > 0) await waitForLeaders(kafka, existing, timeoutMs, { fullIsr: false });
  return outcomes;
}

/**
 * Waits until every broker of the cluster serves every partition of `topics` with a leader
 * they all agree on and, with `fullIsr` (the default: topics just created), an in-sync
 * replica set holding every live replica (lib/topic-readiness.ts says why one broker's word
 * is not enough). Throws after `timeoutMs` with what was still missing. `target`: a
 * bootstrap list (PLAINTEXT), or client settings (their listener's TLS and SASL login).
 */
export async function waitForLeaders(target: string | KafkaConfig, topics: readonly string[], timeoutMs: number, options: { readonly fullIsr?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const security: ProbeSecurity = typeof target === 'string' ? {} : probeSecurity(target);
  let problems: string[] = ['no broker asked yet'];
  for (;;) {
    try {
      const cluster = await clusterMetadata(target, topics, Math.min(3000, Math.max(500, deadline - Date.now())));
      const answers = await Promise.all(
        cluster.brokers.map(async (b): Promise<BrokerAnswer> => {
          const address = `${b.host}:${b.port}`;
          try {
            return { address, nodeId: b.nodeId, metadata: await fetchMetadata(b.host, b.port, { topics, timeoutMs: 3000, security }), error: null };
          } catch (err) {
            return { address, nodeId: b.nodeId, metadata: null, error: (err as Error).message };
          }
        }),
      );
      problems = readinessProblems(answers, cluster.brokers.map((b) => b.nodeId), topics, options);
      if (problems.length === 0) return;
    } catch (err) {
      // every bootstrap broker may be restarting; try again until the deadline
      problems = [(err as Error).message];
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
  throw new Error(`topics ${topics.join(', ')} not served by every broker after ${timeoutMs / 1000} s: ${shown}`);
}
