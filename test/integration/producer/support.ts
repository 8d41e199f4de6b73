/**
 * Helpers for the producer's integration tests: a producer configuration on a unique
 * topic prefix (so tests sharing a cluster never see each other's messages), an
 * in-process run, `tickstream produce` as a child process, reading the topics back, and the
 * expected bars of a Kaggle file computed independently of the producer's own parser.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../lib/config.js';
import { decodeDeadLetter, type DeadLetter } from '../../../lib/dlq.js';
import { createLogger } from '../../../lib/logger.js';
import { parsePrometheusText, sumOf } from '../../../lib/prometheus-text.js';
import type { KafkaConfig } from '../../../lib/settings.js';
import { decodeTick, type Tick } from '../../../lib/tick.js';
import { runProducer } from '../../../producer/service.js';
import { producerSpec, type ProducerAppConfig } from '../../../producer/settings.js';
import type { RunSummary } from '../../../producer/summary.js';
import { consumeCount, type ConsumedMessage } from '../../support/kafka.js';

export function uniquePrefix(name: string): string {
  return `it-producer-${name}-${randomBytes(3).toString('hex')}.`;
}

/** Producer config for a test: its own topics (created by the run), no metrics unless asked. */
export function testConfig(kafka: KafkaConfig, prefix: string, producer: Record<string, unknown>): ProducerAppConfig {
  const overrides: Record<string, unknown> = {
    'kafka.bootstrap': kafka.bootstrap,
    'topics.prefix': prefix,
    'producer.createTopics': true,
    'producer.metrics': false,
    'producer.progress': 'off',
    'log.level': 'error',
    // The suite runs on either client: TICKSTREAM_KAFKA_CLIENT=native runs it on the batch path.
    'kafka.client': process.env.TICKSTREAM_KAFKA_CLIENT ?? 'rdkafka',
  };
  for (const [k, v] of Object.entries(producer)) overrides[`producer.${k}`] = v;
  return loadConfig(producerSpec, { env: {}, overrides });
}

/** The summary `tickstream produce --json` prints as its last line. */
export function lastSummary(stdout: string): RunSummary {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as RunSummary;
}

/**
 * `tickstream produce` as a user runs it, in a child process whose output is collected.
 * `stop()` in a `finally`: a failed test must not leave a producer running (it would keep
 * the test process alive).
 */
export class ProduceCommand {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn('node', ['bin/tickstream.js', 'produce', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Waits until `ready()` holds (polling the output), failing with `what` and the log tail after `timeoutMs`. */
  async waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    for (const until = Date.now() + timeoutMs; !ready() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(ready(), `${what}\n${this.stderr.slice(-2000)}`).to.equal(true);
  }

  /** The /metrics address the run logged ("serving metrics"), if any. */
  metricsUrl(): string | undefined {
    return /"url":"([^"]+)"/.exec(this.stderr)?.[1];
  }

  summary(): RunSummary {
    return lastSummary(this.stdout);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A Prometheus page: its text, and the value of a metric summed over its series. */
export async function fetchMetrics(url: string): Promise<{ text: string; value: (name: string) => number }> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  const samples = parsePrometheusText(text);
  return { text, value: (name) => sumOf(samples, name) };
}

export async function produceInProcess(config: ProducerAppConfig, signal = new AbortController().signal, onMetrics?: (port: number) => void): Promise<RunSummary> {
  return runProducer(config, { logger: createLogger('producer-test', config.log), signal, progress: 'off', ...(onMetrics ? { onMetrics } : {}) });
}

export interface ReadTick extends Tick {
  readonly partition: number;
  readonly key: string;
  /** Kafka's timestamp of the message, epoch ms. */
  readonly kafkaTs: number;
}

export async function readTicks(kafka: KafkaConfig, topic: string, count: number, idleMs = 20_000): Promise<ReadTick[]> {
  const messages = await consumeCount(kafka, topic, `${topic}-check`, count, { idleMs });
  return messages.map((m: ConsumedMessage) => {
    const check = decodeTick(m.value);
    if (!check.ok) throw new Error(`message at ${topic}/${m.partition}@${m.offset} is not a valid tick: ${check.reason}`);
    return { ...check.tick, partition: m.partition, key: m.key, kafkaTs: m.timestamp };
  });
}

export async function readDeadLetters(kafka: KafkaConfig, topic: string, count: number, idleMs = 15_000): Promise<DeadLetter[]> {
  const messages = await consumeCount(kafka, topic, `${topic}-check`, count, { idleMs });
  return messages.map((m) => decodeDeadLetter(m.value));
}

export interface ExpectedBar {
  readonly symbol: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * The bars of a Kaggle file as a test computes them: split on line breaks and commas,
 * empty rows and rows with a `null` left out, per symbol in file order. `dropLast` leaves
 * out a last row the file was cut off in.
 */
export function expectedBars(file: string, dropLast = false): { bars: Map<string, ExpectedBar[]>; nullLines: number[]; lines: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const bars = new Map<string, ExpectedBar[]>();
  const nullLines: number[] = [];
  const last = dropLast ? lines.length - 1 : lines.length;
  for (let i = 1; i < last; i++) {
    if (lines[i]!.trim() === '') continue;
    const f = lines[i]!.trim().split(',');
    if (f.includes('null')) {
      nullLines.push(i + 1);
      continue;
    }
    const bar = { symbol: f[0]!, open: Number(f[2]), high: Number(f[3]), low: Number(f[4]), close: Number(f[5]), volume: Number(f[7]) };
    bars.set(bar.symbol, [...(bars.get(bar.symbol) ?? []), bar]);
  }
  return { bars, nullLines, lines: lines.length };
}

export function bySymbol(ticks: readonly ReadTick[]): Map<string, ReadTick[]> {
  const out = new Map<string, ReadTick[]>();
  for (const t of ticks) {
    let list = out.get(t.symbol);
    if (!list) out.set(t.symbol, (list = []));
    list.push(t);
  }
  return out;
}

/** Every symbol's ticks arrive with seq 0, 1, 2, ... (nothing lost, nothing twice) and times in order. */
export function orderProblems(ticks: readonly ReadTick[]): string[] {
  const problems: string[] = [];
  for (const [symbol, list] of bySymbol(ticks)) {
    const partitions = new Set(list.map((t) => t.partition));
    if (partitions.size !== 1) problems.push(`${symbol} is on partitions ${[...partitions].join(',')}`);
    list.forEach((t, i) => {
      if (problems.length < 10 && t.seq !== i) problems.push(`${symbol}: message ${i} has seq ${t.seq}`);
      if (problems.length < 10 && i > 0 && t.ts < list[i - 1]!.ts) problems.push(`${symbol}: ts ${t.ts} after ${list[i - 1]!.ts} (seq ${t.seq})`);
    });
  }
  return problems;
}
