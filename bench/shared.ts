/**
 * What the benchmarks share (bench/producer, bench/sink, bench/all): kcat as the reference
 * client (its arguments, and a clear failure when it is missing), the producer's own
 * serialization of a source as kcat input, a child process measured from /proc (wall
 * time, CPU of its whole tree, peak resident memory of its tree), a sink run measured from
 * its first assignment until the group's commits reach the end of the topic, and the
 * versions of what ran.
 */
import { execFileSync, spawn, type StdioOptions } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { consumerSettings } from '../lib/kafka.js';
import type { KafkaConfig } from '../lib/settings.js';
import { checkTick, tickJson, type Tick } from '../lib/tick.js';
import { historicalClock } from '../producer/clock.js';
import type { SourceEvent } from '../producer/events.js';
import { cpuSeconds, hwmMb, processTree, reapedChildrenCpuSeconds, RssSampler } from './proc.js';
import { SINK_NODE_FLAGS } from '../lib/service-node-flags.js';

/** Fails, saying how to install it, when kcat (the reference client) is not on the PATH. */
export function requireKcat(): string {
  try {
    const v = execFileSync('kcat', ['-V'], { encoding: 'utf8' });
    return /Version (\S+) .*librdkafka (\S+)/.exec(v)?.slice(1).join(', librdkafka ') ?? v.split('\n')[0]!;
  } catch {
    throw new Error('kcat is not installed; the benchmarks compare with it. Install the Debian package: `sudo apt-get install kcat` (.ci/run installs it on a fresh machine).');
  }
}

/**
 * kcat producing `key<TAB>value` lines with the producer's own client settings: idempotent,
 * acks=all, lz4, linger 20 ms, batches of up to 10,000 messages / 1 MB, a queue of 100,000
 * messages, murmur2 partitioning.
 */
export function kcatProduceArgs(bootstrap: string, topic: string): string[] {
  return [
    '-P', '-b', bootstrap, '-t', topic, '-K', '\t', '-z', 'lz4',
    '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=20',
    '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000',
    '-X', 'queue.buffering.max.messages=100000', '-X', 'queue.buffering.max.kbytes=262144',
    '-X', 'partitioner=murmur2_random',
  ];
}

/** kcat reading a whole topic from the beginning to its end (-e), values only. */
export function kcatConsumeArgs(bootstrap: string, topic: string): string[] {
  return ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'];
}

/**
 * The producer's own serialization of a source, as kcat input lines `key\tvalue`: the same
 * checks, sequence numbers and JSON the producer sends. Resolves with the message count.
 */
export async function writeMessages(file: string, events: AsyncIterable<readonly SourceEvent[]>, source: string): Promise<number> {
  const out = createWriteStream(file);
  const seqs = new Map<string, number>();
  let count = 0;
  for await (const batch of events) {
    let chunk = '';
    for (const e of batch) {
      if (e.kind !== 'ticks') continue;
      for (const t of e.ticks) {
        const seq = seqs.get(t.symbol) ?? 0;
        const candidate: Tick = { symbol: t.symbol, ts: historicalClock.eventTime(t.ts), price: t.price, volume: t.volume, exchange: t.exchange, currency: t.currency, source, seq };
        const c = checkTick(candidate);
        if (!c.ok) continue;
        seqs.set(t.symbol, seq + 1);
        chunk += `${c.tick.symbol}\t${tickJson(c.tick)}\n`;
        count += 1;
      }
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return count;
}

export interface MeasuredRun {
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  /** User + system CPU of the process and everything below it, to its end. */
  readonly cpuSeconds: number;
  /** Largest sampled sum of the tree's resident memory (MiB). */
  readonly peakRssMib: number;
  /** Largest sum of the tree's own peaks (VmHWM) seen: an upper bound (MiB). */
  readonly hwmMib: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end, measured from /proc: its tree's resident memory sampled every
 * 200 ms, its tree's CPU from this process's reaped-children counters (so nothing else may
 * end meanwhile; the benchmarks run one measured command at a time). A non-zero exit
 * rejects with the end of its standard error. Standard output is kept unless `stdout` is
 * 'ignore'; `stdin` is a file to read from.
 */
export async function runMeasured(
  command: string,
  args: readonly string[],
  options: { readonly stdin?: string; readonly stdout?: 'keep' | 'ignore'; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<MeasuredRun> {
  const stdinFd = options.stdin ? openSync(options.stdin, 'r') : null;
  const stdio: StdioOptions = [stdinFd ?? 'ignore', options.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'];
  const cpu0 = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(command, args, { stdio, env: options.env ?? process.env });
  if (stdinFd !== null) closeSync(stdinFd);
  const rss = new RssSampler(child.pid!, 200);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-200_000);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => rss.stop());
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.slice(0, 3).join(' ')} ... failed (${signal ?? code}): ${stderr.slice(-2000)}`);
  return { seconds, cpuSeconds: reapedChildrenCpuSeconds() - cpu0, peakRssMib: rss.peak, hwmMib: Math.max(rss.hwm, rss.peak), stdout, stderr };
}

/** A sink whose commits do not move for this long has failed (the bench says so instead of waiting forever). */
const STALL_MS = 180_000;

export interface SinkRun {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMib: number;
  readonly hwmMib: number;
  /** Exit status after the SIGTERM that ends the run (0: a clean stop). */
  readonly exitCode: number | null;
}

/**
 * Runs the sink (`tickstream sink`, with `args`) on a topic that already holds all its
 * messages, and measures it from its first "partitions assigned" log line until the
 * group's committed offsets reach `end` on every partition: decoding, Parquet encoding,
 * writing, committing and the idle flush of the last batches are all inside. Then it is
 * stopped with SIGTERM. CPU is the process tree's in that window; memory is sampled.
 */
export async function measureSink(options: {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  readonly end: ReadonlyMap<number, number>;
  readonly group: string;
  readonly env: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
  readonly say?: (line: string) => void;
}): Promise<SinkRun> {
  const { kafka, topic, end, group } = options;
  const child = spawn(process.execPath, [...SINK_NODE_FLAGS, 'bin/tickstream.js', 'sink', ...(options.args ?? [])], {
    env: { ...options.env, TICKSTREAM_SINK_GROUP: group, TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap, TICKSTREAM_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const rss = new RssSampler(child.pid!);
  let stderr = '';
  let t0 = 0;
  let cpu0 = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-200_000);
    if (!t0 && stderr.includes('"msg":"partitions assigned"')) {
      t0 = performance.now();
      cpu0 = cpuSeconds(processTree(child.pid!));
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const committed = await CommittedReader.open(kafka, group);
  try {
    let lastSay = performance.now();
    let progress = { committed: -1, at: performance.now() };
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sink exited (${child.exitCode}): ${stderr.slice(-2000)}`);
      if (t0 && (await committed.reached(topic, end))) break;
      if (performance.now() - lastSay > 5000) {
        lastSay = performance.now();
        const total = await committed.committedTotal(topic, end);
        if (total !== progress.committed) progress = { committed: total, at: performance.now() };
        else if (performance.now() - progress.at > STALL_MS) throw new Error(`the sink committed nothing for ${STALL_MS / 1000} s (${total} of ${[...end.values()].reduce((a, b) => a + b, 0)}): ${stderr.slice(-2000)}`);
        options.say?.(`  sink: ${t0 ? `${total} committed` : 'waiting for its partitions'} ...`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const tree = processTree(child.pid!);
    const cpu = cpuSeconds(tree) - cpu0;
    const hwm = hwmMb(tree);
    const peak = rss.stop();
    child.kill('SIGTERM');
    const exitCode = await exited;
    return { seconds, cpuSeconds: cpu, peakRssMib: peak, hwmMib: Math.max(hwm, rss.hwm, peak), exitCode };
  } finally {
    rss.stop();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await committed.close();
  }
}

/** A group's committed offsets, read by one client that never joins the group. */
export class CommittedReader {
  private constructor(private readonly consumer: Kafka.KafkaConsumer) {}

  static async open(kafka: KafkaConfig, group: string): Promise<CommittedReader> {
    const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, group, 'bench-committed') }, {});
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
    return new CommittedReader(consumer);
  }

  async reached(topic: string, end: ReadonlyMap<number, number>): Promise<boolean> {
    const got = await this.offsets(topic, end);
    // A partition no message went to (five symbols over six partitions) is never committed.
    return got.length === end.size && got.every((tp) => end.get(tp.partition) === 0 || tp.offset >= end.get(tp.partition)!);
  }

  /** Messages committed so far over the partitions of `end` (progress, for a bound on waiting). */
  async committedTotal(topic: string, end: ReadonlyMap<number, number>): Promise<number> {
    // A partition without a commit yet has no offset.
    return (await this.offsets(topic, end)).reduce((n, tp) => n + Math.max(0, tp.offset ?? 0), 0);
  }

  private offsets(topic: string, end: ReadonlyMap<number, number>): Promise<Kafka.TopicPartitionOffset[]> {
    const tps = [...end.keys()].map((partition) => ({ topic, partition }));
    return new Promise((resolve) => this.consumer.committed(tps, 5000, (err, res) => resolve(err ? [] : res)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

/** Files under a folder (any depth) and their total size. */
export function fileStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        files++;
        bytes += statSync(full).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/** node-rdkafka's version and the librdkafka it built. */
export function rdkafkaVersion(): string {
  const pkg = createRequire(import.meta.url)('node-rdkafka/package.json') as { version: string };
  return `node-rdkafka ${pkg.version}, librdkafka ${Kafka.librdkafkaVersion}`;
}
