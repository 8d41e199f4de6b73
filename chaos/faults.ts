/**
 * The faults a chaos run injects, each a complete episode (inject, hold, recover), and the
 * lanes that schedule them at random times from the run's PRNG. Four lanes run side by
 * side, so faults of different lanes overlap:
 *
 *  - Kafka lane, one fault at a time, the kinds in a shuffled order per round of three:
 *    broker-kill (SIGKILL, down a few seconds, restarted by `stackUp`), broker-pause
 *    (SIGSTOP for longer than the broker's session timeout, then SIGCONT), and
 *    fresh-topic-leader-change (a topic created through the product's `ensureTopics` and
 *    produced to at once while its partition 0 leader is killed or shut down). After each,
 *    the lane waits until every replica of the run's topics is back in sync, so two Kafka
 *    faults never take two replicas of a partition at once (that is an outage, not a fault
 *    a 3-replica, min-ISR-2 topic is meant to survive).
 *  - two sink lanes, one per sink: sink-kill, SIGKILL of the local or the S3 sink, restarted
 *    after up to 3 s; the lane's next kill waits until the restarted sink has started.
 *  - S3 lane: s3-outage, the S3 server stopped for a few seconds. moto keeps its objects in
 *    memory, so the outage freezes the S3 sink (SIGSTOP) until moto has answered every request
 *    it had, saves the bucket, stops moto and thaws the sink; the sink then meets a dead
 *    endpoint for real. To end it, the sink is frozen again, moto started, the bucket
 *    restored, and the sink thawed: S3 as a real outage leaves it, with the data it held.
 */
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient, drainReports, flushOnce } from '../lib/rdkafka.js';
import { sleep } from '../lib/async.js';
import { ensureTopics, clusterMetadata, waitForLeaders } from '../lib/admin.js';
import { classifyReport } from '../lib/delivery.js';
import { producerSettings } from '../lib/kafka.js';
import type { KafkaConfig } from '../lib/settings.js';
import { encodeTick } from '../lib/tick.js';
import { isRunning, readState, stackUp, type MemberState } from '../local/stack.js';
import type { StackConfig } from '../local/settings.js';
import type { MotoServer } from '../test/support/moto.js';
import type { Random } from '../lib/prng.js';
import type { Service } from './services.js';
import { listBucket, readTopicTicks, restoreBucket, saveBucket } from './stores.js';
import { checkSet, type AckRecord, type SetCheck } from './verify.js';

export const FAULT_KINDS = ['broker-kill', 'broker-pause', 'fresh-topic-leader-change', 'sink-kill', 's3-outage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosContext {
  readonly stack: StackConfig;
  readonly kafka: KafkaConfig;
  /** Topics every replica of which must be in sync before the next Kafka fault. */
  readonly topics: readonly string[];
  readonly prefix: string;
  readonly sinks: { readonly local: Service; readonly s3: Service };
  readonly moto: MotoServer;
  readonly bucket: string;
  readonly workDir: string;
  readonly log: (message: string) => void;
  readonly faults: Record<FaultKind, number>;
  readonly freshTopics: SetCheck[];
}


/** Broker session timeouts of the stack (render.ts leaves Kafka's defaults). */
export function brokerSessionTimeoutMs(mode: StackConfig['mode']): number {
  // ZooKeeper mode: zookeeper.session.timeout.ms (18 s); KRaft: broker.session.timeout.ms (9 s).
  return mode === 'zookeeper' ? 18_000 : 9_000;
}

function brokers(ctx: ChaosContext): MemberState[] {
  const state = readState(ctx.stack.dir);
  if (!state) throw new Error(`no stack state in ${ctx.stack.dir}`);
  return state.members.filter((m) => m.role === 'broker');
}

/** Starts the brokers that are not running (stackUp waits for them, and out stale ZooKeeper sessions). */
async function restartDead(ctx: ChaosContext): Promise<void> {
  await stackUp(ctx.stack, { onStep: (m) => ctx.log(`  stack: ${m}`) });
}

/** Until every replica of the run's topics is in sync again (bounded). */
async function waitInSync(ctx: ChaosContext, topics: readonly string[] = ctx.topics): Promise<void> {
  await waitForLeaders(ctx.kafka, topics, 240_000, { fullIsr: true });
}

/** Resolves once the cluster's metadata lists every broker of the stack; fails after `timeoutMs`. */
async function waitForAllBrokers(ctx: ChaosContext, timeoutMs: number): Promise<void> {
  const want = brokers(ctx).length;
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await clusterMetadata(ctx.kafka).then((md) => md.brokers.length, () => 0);
    if (seen >= want) return;
    await sleep(500);
  }
  throw new Error(`only ${seen} of ${want} brokers registered after ${timeoutMs / 1000} s`);
}

async function killPid(pid: number, marker: string): Promise<void> {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 15_000;
  while (isRunning({ pid, configFile: marker } as MemberState) && Date.now() < deadline) await sleep(100);
}

export async function brokerKill(ctx: ChaosContext, rng: Random): Promise<void> {
  const b = rng.pick(brokers(ctx));
  const downMs = rng.int(1_000, 8_000);
  ctx.log(`broker-kill: SIGKILL broker ${b.id} (pid ${b.pid}), restart after ${downMs} ms`);
  await killPid(b.pid!, b.configFile);
  ctx.faults['broker-kill'] += 1;
  await sleep(downMs);
  await restartDead(ctx);
  await waitInSync(ctx);
}

export async function brokerPause(ctx: ChaosContext, rng: Random): Promise<void> {
  const b = rng.pick(brokers(ctx));
  const pauseMs = brokerSessionTimeoutMs(ctx.stack.mode) + rng.int(2_000, 6_000);
  ctx.log(`broker-pause: SIGSTOP broker ${b.id} (pid ${b.pid}) for ${pauseMs} ms`);
  process.kill(b.pid!, 'SIGSTOP');
  ctx.faults['broker-pause'] += 1;
  try {
    await sleep(pauseMs);
  } finally {
    process.kill(b.pid!, 'SIGCONT');
  }
  await waitInSync(ctx);
}

const FRESH_TICKS = 1_500;
const FRESH_PARTITIONS = 3;

/**
 * A topic created (the product's ensureTopics: created, then served by every broker) and
 * produced to at once with the project's producer settings, while the leader of its
 * partition 0 is SIGKILLed or shut down (controlled shutdown: leadership moves at once)
 * right after the first messages. Every report is kept; the topic is read back once the
 * broker is back, and checked like a lake (lost, duplicated, unconfirmed).
 */
export async function freshTopicLeaderChange(ctx: ChaosContext, rng: Random): Promise<void> {
  const n = ctx.freshTopics.length + 1;
  const topic = `${ctx.prefix}fresh-${n}-${Date.now()}`;
  const acks: AckRecord[] = [];
  const producer = new Kafka.Producer({ ...producerSettings(ctx.kafka, { lingerMs: 5 }, 'chaos-fresh'), 'delivery.report.only.error': false } as Kafka.ProducerGlobalConfig);
  producer.on('delivery-report', (err, r) => {
    const t = r.opaque as { sym: string; seq: number };
    acks.push({ s: classifyReport(err, r.offset), p: r.partition, o: r.offset ?? -1001, sym: t.sym, seq: t.seq });
  });
  await connectClient(producer, 30_000);
  producer.setPollInterval(20);
  const how = rng.pick(['SIGKILL', 'SIGTERM'] as const);
  let victim: MemberState | undefined;
  try {
    // A replication factor of 3 needs every broker registered: one paused past its session
    // (or just restarted) may not be yet, and creation would fail ("larger than available brokers").
    await waitForAllBrokers(ctx, 240_000);
    await ensureTopics(ctx.kafka, [{ name: topic, partitions: FRESH_PARTITIONS, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }]);
    const leader = (await clusterMetadata(ctx.kafka, [topic])).topics[0]?.partitions.find((p) => p.partition === 0)?.leader;
    victim = brokers(ctx).find((b) => b.id === leader);
    if (!victim) throw new Error(`fresh topic ${topic}: no leader for partition 0 (${String(leader)})`);
    ctx.log(`fresh-topic-leader-change: ${topic} created; producing ${FRESH_TICKS} ticks and ${how} of its partition-0 leader, broker ${victim.id}`);
    const seq = [0, 0, 0];
    for (let i = 0; i < FRESH_TICKS; i++) {
      const p = i % FRESH_PARTITIONS;
      const sym = `FRESH${p}`;
      const s = seq[p]!++;
      const value = encodeTick({ symbol: sym, ts: Date.UTC(2024, 0, 2) + i, price: 100, volume: 1, source: 'chaos', seq: s });
      producer.produce(topic, p, value, Buffer.from(sym), undefined, { sym, seq: s });
      if (i === 30) {
        // Right after the first batches: the leader change races the topic's first writes.
        if (how === 'SIGKILL') await killPid(victim.pid!, victim.configFile);
        else process.kill(victim.pid!, 'SIGTERM');
        ctx.faults['fresh-topic-leader-change'] += 1;
      }
      if (i % 50 === 49) await sleep(10);
    }
    const flushed = await flushOnce(producer, 200_000);
    await drainReports(producer);
    if (!flushed) ctx.log(`fresh-topic-leader-change: ${topic}: flush did not finish; ${FRESH_TICKS - acks.length} report(s) missing`);
  } finally {
    producer.setPollInterval(0);
    await disconnectClient(producer);
  }
  // A SIGTERMed broker may still be in its controlled shutdown: restart it once it is gone
  // (killed after 60 s, or the restart below would find it running and skip it).
  const deadline = Date.now() + 60_000;
  while (victim && isRunning(victim) && Date.now() < deadline) await sleep(200);
  if (victim && isRunning(victim)) await killPid(victim.pid!, victim.configFile);
  await restartDead(ctx);
  await waitInSync(ctx, [...ctx.topics, topic]);
  const stored = await readTopicTicks(ctx.kafka, topic, FRESH_PARTITIONS, 120_000);
  const check = checkSet(acks, stored);
  ctx.freshTopics.push(check);
  ctx.log(
    `fresh-topic-leader-change: ${topic}: ${check.acknowledged} acknowledged, ${check.found} found, ${check.lost.length} lost, ` +
      `${check.duplicated.length} duplicated, ${check.unconfirmed} unconfirmed, ${check.failed} failed`,
  );
}

export async function sinkKill(ctx: ChaosContext, sink: Service, rng: Random): Promise<void> {
  const downMs = rng.int(0, 3_000);
  await sink.lock.run(async () => {
    ctx.log(`sink-kill: SIGKILL ${sink.name} (pid ${sink.proc.pid}), restart after ${downMs} ms`);
    await sink.kill();
    ctx.faults['sink-kill'] += 1;
    await sleep(downMs);
    sink.start();
  });
  // The next kill only once this one runs again: a sink still loading its modules (tens of
  // seconds on a loaded machine) has nothing to lose. Once started, a kill may land in its
  // recovery, its group join or its writing, all of which are fair game.
  if (!(await sink.waitForLog('sink started', 240_000))) ctx.log(`sink-kill: ${sink.name} did not start within 240 s of its restart`);
}

/** Until two listings 300 ms apart agree: moto has finished what the frozen sink had sent. */
async function settledListing(ctx: ChaosContext): Promise<void> {
  let last = '';
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = await listBucket(ctx.bucket, ctx.moto.endpoint);
    if (now === last || Date.now() > deadline) return;
    last = now;
    await sleep(300);
  }
}

export async function s3Outage(ctx: ChaosContext, rng: Random): Promise<void> {
  const downMs = rng.int(3_000, 15_000);
  const sink = ctx.sinks.s3;
  const saved = join(ctx.workDir, 's3-saved');
  await sink.lock.run(async () => {
    sink.freeze();
    let objects = 0;
    try {
      await settledListing(ctx);
      objects = await saveBucket(ctx.bucket, ctx.moto.endpoint, saved);
      await ctx.moto.stop();
    } finally {
      sink.thaw();
    }
    ctx.faults['s3-outage'] += 1;
    ctx.log(`s3-outage: S3 server stopped for ${downMs} ms (${objects} objects saved)`);
    await sleep(downMs);
    sink.freeze();
    try {
      await ctx.moto.start();
      await restoreBucket(ctx.bucket, ctx.moto.endpoint, saved);
    } finally {
      sink.thaw();
    }
  });
}

/** A shuffled copy (Fisher-Yates with the run's PRNG). */
export function shuffled<T>(items: readonly T[], rng: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Lanes {
  /** Resolves when every lane has finished its last fault (no fault starts after `until`). */
  readonly done: Promise<void>;
  /** No new fault starts; the ones under way finish their recovery. */
  stop(): void;
}

/**
 * Runs the four lanes until `until` (epoch ms). A lane whose recovery fails stops the
 * others (no new fault starts) and `done` rejects with its error once all have finished.
 */
export function runLanes(ctx: ChaosContext, rng: Random, until: number): Lanes {
  const clock = { until };
  const kafkaRng = rng.fork();
  const localRng = rng.fork();
  const s3SinkRng = rng.fork();
  const s3Rng = rng.fork();
  const lane = async (r: Random, gap: [number, number], next: () => () => Promise<void>): Promise<void> => {
    for (;;) {
      await sleep(r.int(gap[0], gap[1]));
      if (Date.now() >= clock.until) return;
      try {
        await next()();
      } catch (err) {
        clock.until = 0;
        throw err;
      }
    }
  };
  const cycle = <T>(items: readonly T[], r: Random): (() => T) => {
    let round: T[] = [];
    return () => {
      if (round.length === 0) round = shuffled(items, r);
      return round.shift()!;
    };
  };
  const kafkaKind = cycle(['broker-kill', 'broker-pause', 'fresh-topic-leader-change'] as const, kafkaRng);
  const kafka = lane(kafkaRng, [1_000, 6_000], () => {
    const kind = kafkaKind();
    return () => (kind === 'broker-kill' ? brokerKill(ctx, kafkaRng) : kind === 'broker-pause' ? brokerPause(ctx, kafkaRng) : freshTopicLeaderChange(ctx, kafkaRng));
  });
  // Long enough for a restarted sink to recover, join and write between two kills.
  const localSink = lane(localRng, [8_000, 25_000], () => () => sinkKill(ctx, ctx.sinks.local, localRng));
  const s3Sink = lane(s3SinkRng, [8_000, 25_000], () => () => sinkKill(ctx, ctx.sinks.s3, s3SinkRng));
  const s3 = lane(s3Rng, [3_000, 12_000], () => () => s3Outage(ctx, s3Rng));
  const all = [kafka, localSink, s3Sink, s3];
  return {
    stop: () => {
      clock.until = 0;
    },
    done: Promise.allSettled(all).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }),
  };
}
