/**
 * One chaos run (docs/chaos.md): its own 3-broker stack and S3 server, the project's
 * producer at a steady rate with its acknowledgement log, two sinks (a lake folder and a
 * bucket on the S3 server), faults for `minutes` (faults.ts), then a drain (the producer
 * stops and flushes, both sinks commit to the end of the topic) and the verdict
 * (verify.ts) from the ack log and both lakes read back with DuckDB.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureTopics } from '../lib/admin.js';
import { loadConfig } from '../lib/config.js';
import { planTopics, topicNames } from '../lib/kafka.js';
import { sharedSpec } from '../lib/settings.js';
import type { MetadataMode } from '../lib/kafka.js';
import { stackSpec } from '../local/settings.js';
import { bootstrapOf, stackDown, stackUp } from '../local/stack.js';
import { endOffsets, waitForCommitted } from '../test/integration/consumer/support.js';
import { TEST_AWS_ENV, type MotoServer } from '../test/support/moto.js';
import { FAULT_KINDS, runLanes, type ChaosContext, type FaultKind } from './faults.js';
import { motoServer } from './moto.js';
import { mulberry32 } from '../lib/prng.js';
import { lastJsonWith, Service, tail } from './services.js';
import { ensureBucket, readLakeTicks, saveBucket } from './stores.js';
import { judge, parseAckLog, type ChaosResult } from './verify.js';

export interface ChaosOptions {
  readonly minutes: number;
  readonly mode: MetadataMode;
  readonly seed: number;
  /** Every port of the run is portBase + 0..39 (docs/chaos.md lists them). */
  readonly portBase: number;
  /** Work folder: stack data, lakes, logs, the ack log. */
  readonly dir: string;
  /** Ticks per second of the producer. */
  readonly rate: number;
  /** Keep the work folder after a passing run (it is always kept after a failing one). */
  readonly keep: boolean;
  readonly log: (message: string) => void;
  /** Aborting stops the faults (the one under way recovers), skips the drain and tears down. */
  readonly signal?: AbortSignal;
}

export interface ChaosRun extends ChaosResult {
  readonly seconds: number;
  readonly rate: number;
  readonly producer: { readonly exit: number | null; readonly produced: number; readonly delivered: number; readonly failed: number; readonly unconfirmed: number };
  readonly unexpected_exits: Record<string, number>;
  readonly machine: { readonly nproc: number; readonly loadavg_end: number[] };
  readonly dir: string;
}

export const PARTITIONS = 6;
const SYMBOLS = Array.from({ length: 24 }, (_, i) => `CH${String(i).padStart(2, '0')}:${100 + i}`).join(',');
const BUCKET = 'chaos-lake';

export async function runChaos(o: ChaosOptions): Promise<ChaosRun> {
  const started = Date.now();
  const log = (m: string): void => o.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}`);
  mkdirSync(o.dir, { recursive: true });
  const stackDir = join(o.dir, 'stack');
  const stack = loadConfig(stackSpec, {
    env: process.env.TICKSTREAM_CACHE ? { TICKSTREAM_CACHE: process.env.TICKSTREAM_CACHE } : {},
    overrides: {
      'stack.dir': stackDir,
      'stack.mode': o.mode,
      'stack.brokers': 3,
      'stack.port': o.portBase,
      'stack.zookeeperPort': o.portBase + 10,
      'stack.controllerPort': o.portBase + 20,
      'stack.startTimeoutSec': 180,
    },
  }).stack;
  const prefix = 'chaos.';
  const names = topicNames({ prefix });
  const ackFile = join(o.dir, 'acks.jsonl');
  const localLake = join(o.dir, 'lake-local');
  rmSync(ackFile, { force: true });
  rmSync(localLake, { recursive: true, force: true });

  let moto: MotoServer | null = null;
  let producer: Service | null = null;
  const sinks: Service[] = [];
  let passed = false;
  try {
    log(`stack: ${o.mode}, 3 brokers from port ${o.portBase}`);
    const { state } = await stackUp(stack, { onStep: (m) => log(`  stack: ${m}`) });
    if (o.signal?.aborted) throw new Error('stopped by a signal during start-up');
    const bootstrap = bootstrapOf(state);
    const shared = loadConfig(sharedSpec, {
      env: {},
      overrides: { 'kafka.bootstrap': bootstrap, 'topics.prefix': prefix, 'topics.partitions': PARTITIONS, 'topics.replicationFactor': 3, 'topics.minInsyncReplicas': 2 },
    });
    await ensureTopics(shared.kafka, planTopics(shared.topics, 3));
    moto = motoServer(o.portBase + 30);
    await moto.start();
    Object.assign(process.env, TEST_AWS_ENV);
    await ensureBucket(BUCKET, moto.endpoint);
    log(`S3 server (moto) at ${moto.endpoint}; topics ${names.ticks} (${PARTITIONS} partitions, RF 3, min ISR 2)`);

    const common = {
      TICKSTREAM_CONFIG: '',
      TICKSTREAM_KAFKA_BOOTSTRAP: bootstrap,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_LOG_LEVEL: 'info',
      TICKSTREAM_LOG_PRETTY: 'false',
    };
    const sinkEnv = (name: string): NodeJS.ProcessEnv => ({
      ...common,
      TICKSTREAM_SINK_GROUP: `chaos-sink-${name}`,
      // Static membership: a restarted sink gets its partitions back without a rebalance.
      TICKSTREAM_SINK_INSTANCE_ID: `chaos-sink-${name}`,
      TICKSTREAM_SINK_ROTATE_RECORDS: '20000',
      TICKSTREAM_SINK_SPILL_ROWS: '5000', // batches spooled in chunks: faults land amid those writes too
      TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '5000',
      TICKSTREAM_SINK_RETRY_BASE_MS: '200',
      TICKSTREAM_SINK_RETRY_MAX_MS: '2000',
      TICKSTREAM_SINK_METRICS: 'false',
    });
    const local = new Service('sink-local', ['sink'], join(o.dir, 'sink-local.log'), { ...sinkEnv('local'), TICKSTREAM_LAKE: localLake });
    const s3 = new Service('sink-s3', ['sink'], join(o.dir, 'sink-s3.log'), {
      ...sinkEnv('s3'),
      ...TEST_AWS_ENV,
      TICKSTREAM_LAKE: `s3://${BUCKET}/tickstream`,
      TICKSTREAM_S3_ENDPOINT: moto.endpoint,
      TICKSTREAM_S3_REQUEST_TIMEOUT_MS: '3000',
    });
    sinks.push(local, s3);
    producer = new Service(
      'producer',
      ['produce', '--rate', String(o.rate), '--symbols', SYMBOLS, '--seed', String(o.seed % 2 ** 32), '--ack-log', ackFile,
        '--no-metrics', '--progress', 'log', '--flush-timeout', '180', '--json'],
      join(o.dir, 'producer.log'),
      { ...common },
    );
    for (const s of sinks) s.start();
    producer.start();
    for (const s of sinks) s.watch(2_000, (m) => log(`UNEXPECTED: ${m}`));
    await waitUntil('the first acknowledged ticks in the ack log', 120_000, () => {
      if (!producer!.proc.running) throw new Error(`the producer exited at start:\n${tail(producer!.proc.logFile, 15)}`);
      try {
        return readFileSync(ackFile, 'utf8').length > 0;
      } catch {
        return false;
      }
    });
    log(`producer at ${o.rate} ticks/s and two sinks running; faults for ${o.minutes} min (seed ${o.seed})`);

    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    const ctx: ChaosContext = {
      stack,
      kafka: shared.kafka,
      topics: [names.ticks, names.dlq],
      prefix,
      sinks: { local, s3 },
      moto,
      bucket: BUCKET,
      workDir: o.dir,
      log,
      faults,
      freshTopics: [],
    };
    const producerWatch = setInterval(() => {
      if (!producer!.proc.running) log(`UNEXPECTED: the producer exited during the run:\n${tail(producer!.proc.logFile, 10)}`);
    }, 5_000);
    const lanes = runLanes(ctx, mulberry32(o.seed), Date.now() + o.minutes * 60_000);
    const onAbort = (): void => {
      log('stopping: the faults under way recover, then everything stops');
      lanes.stop();
    };
    o.signal?.addEventListener('abort', onAbort);
    try {
      await lanes.done;
    } finally {
      clearInterval(producerWatch);
      o.signal?.removeEventListener('abort', onAbort);
    }
    if (o.signal?.aborted) throw new Error('stopped by a signal before the drain: no verdict');
    log(`faults done: ${JSON.stringify(faults)}; draining`);

    // Drain: the producer flushes and reports, both sinks commit to the end of the topic.
    const producerExit = await producer.stop(240_000);
    const summary = lastJsonWith(producer.proc.logFile, 'ticksProduced') ?? {};
    log(`producer exited ${producerExit}: ${JSON.stringify({ produced: summary.ticksProduced, delivered: summary.ticksDelivered, failed: summary.ticksFailed, unconfirmed: summary.ticksUnconfirmed })}`);
    const end = await endOffsets(shared.kafka, names.ticks, PARTITIONS);
    for (const s of sinks) {
      await waitForCommitted(shared.kafka, `chaos-sink-${s.name.slice('sink-'.length)}`, names.ticks, end, 600_000, () => undefined);
      log(`${s.name} committed to the end of ${names.ticks}`);
    }
    for (const s of sinks) {
      const code = await s.stop(60_000);
      if (code !== 0) log(`${s.name} exited ${code} at its stop:\n${tail(s.proc.logFile, 8)}`);
    }

    const s3Copy = join(o.dir, 'lake-s3');
    const objects = await saveBucket(BUCKET, moto.endpoint, s3Copy);
    const lakes = { local: await readLakeTicks(localLake), s3: await readLakeTicks(join(s3Copy, 'tickstream')) };
    log(`lakes read: local ${lakes.local.length} rows, s3 ${lakes.s3.length} rows (${objects} objects)`);
    const acks = parseAckLog(readFileSync(ackFile, 'utf8'));
    const verdict = judge({ seed: o.seed, minutes: o.minutes, mode: o.mode, acks, lakes, freshTopics: ctx.freshTopics, faults });
    const result: ChaosRun = {
      ...verdict,
      seconds: Math.round((Date.now() - started) / 1000),
      rate: o.rate,
      producer: {
        exit: producerExit,
        produced: Number(summary.ticksProduced ?? 0),
        delivered: Number(summary.ticksDelivered ?? 0),
        failed: Number(summary.ticksFailed ?? 0),
        unconfirmed: Number(summary.ticksUnconfirmed ?? 0),
      },
      unexpected_exits: Object.fromEntries(sinks.map((s) => [s.name, s.unexpectedExits])),
      machine: { nproc: cpus().length, loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100) },
      dir: o.dir,
    };
    writeFileSync(join(o.dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    passed = result.lost === 0 && result.duplicated === 0 && result.acknowledged > 0;
    return result;
  } finally {
    // Bounded teardown: every step has a deadline; nothing is left running.
    await bounded('producer', 30_000, async () => void (await producer?.stop(20_000)));
    for (const s of sinks) await bounded(s.name, 30_000, async () => void (await s.stop(20_000)));
    await bounded('S3 server', 15_000, async () => moto?.stop());
    await bounded('stack', 120_000, async () => void (await stackDown(stackDir, { purge: passed && !o.keep, graceMs: 20_000 })));
    if (passed && !o.keep) {
      for (const d of ['lake-local', 'lake-s3', 's3-saved']) rmSync(join(o.dir, d), { recursive: true, force: true });
    }
  }
}

async function waitUntil(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function bounded(what: string, ms: number, step: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      step().catch((err: Error) => process.stderr.write(`teardown: ${what}: ${err.message}\n`)),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          process.stderr.write(`teardown: ${what} did not finish within ${ms} ms; going on\n`);
          resolve();
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
