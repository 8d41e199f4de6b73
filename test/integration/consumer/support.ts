/**
 * What the sink's integration tests share: a deterministic tick stream (with poison
 * messages), the sink run as a child process (so it can be SIGKILLed), waiting for the
 * group to commit everything, reading the lake back with DuckDB and with pyarrow, and bars
 * computed independently of the sink from the ticks that were produced.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Kafka from 'node-rdkafka';
import { ensureTopics } from '../../../lib/admin.js';
import { consumerSettings } from '../../../lib/kafka.js';
import { parsePrometheusText, sumOf } from '../../../lib/prometheus-text.js';
import type { KafkaConfig } from '../../../lib/settings.js';
import { pythonTool } from '../../support/tools.js';
import type { TestMessage } from '../../support/kafka.js';
import type { Bar } from '../../unit/consumer/reference-bars.js';

export interface TestTick {
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly volume: number;
  readonly seq: number;
}

export interface TickStream {
  readonly messages: TestMessage[];
  /** The valid ticks, in production order. */
  readonly ticks: TestTick[];
  /** The message value of each valid tick (parallel to `ticks`). */
  readonly values: string[];
  readonly poison: number;
}

/**
 * `count` valid ticks of `symbols` symbols spread over `days` event dates (crossing UTC
 * midnight), with a poison message (bad JSON, or a schema violation) every `poisonEvery`.
 * Per symbol, event time only moves forward, as the producer guarantees; a few ticks share
 * a timestamp so ordering ties are exercised.
 */
export function tickStream(
  count: number,
  options: { symbols?: number; days?: number; spanMs?: number; poisonEvery?: number; start?: number; seed?: number } = {},
): TickStream {
  const symbols = options.symbols ?? 17;
  const days = options.days ?? 3;
  const start = options.start ?? Date.UTC(2024, 2, 4, 21, 0);
  const span = options.spanMs ?? days * 86_400_000 - 6 * 3_600_000;
  const step = Math.max(1, Math.floor(span / count));
  let seed = options.seed ?? 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const messages: TestMessage[] = [];
  const ticks: TestTick[] = [];
  const values: string[] = [];
  let poison = 0;
  const seq = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const symbol = `SYM${String(i % symbols).padStart(3, '0')}`;
    // Same-millisecond ticks now and then (ties), otherwise time moves on.
    const ts = start + Math.floor(i / symbols) * step * symbols + (i % 7 === 0 ? 0 : (i % symbols) * step);
    const n = (seq.get(symbol) ?? 0) + 1;
    seq.set(symbol, n);
    const tick: TestTick = { symbol, ts, price: Math.round((50 + random() * 100) * 100) / 100, volume: Math.floor(random() * 1000), seq: n };
    ticks.push(tick);
    values.push(JSON.stringify({ ...tick, exchange: 'XTST', currency: 'USD', source: 'sim' }));
    messages.push({ key: symbol, value: values[values.length - 1]! });
    if (options.poisonEvery && i % options.poisonEvery === options.poisonEvery - 1) {
      poison++;
      messages.push(
        poison % 2 === 0
          ? { key: symbol, value: `{"symbol":"${symbol}","ts":` }
          : { key: symbol, value: JSON.stringify({ symbol, ts, price: -1, volume: 1 }) },
      );
    }
  }
  return { messages, ticks, values, poison };
}

export type { Bar } from '../../unit/consumer/reference-bars.js';
export { barMismatches, referenceBars as expectedBars } from '../../unit/consumer/reference-bars.js';

export async function createTopics(kafka: KafkaConfig, prefix: string, partitions: number, brokers: number): Promise<{ ticks: string; dlq: string }> {
  const names = { ticks: `${prefix}ticks`, dlq: `${prefix}ticks.dlq` };
  const rf = Math.min(3, brokers);
  await ensureTopics(kafka, [
    { name: names.ticks, partitions, replicationFactor: rf, config: { 'min.insync.replicas': String(Math.min(2, rf)) } },
    { name: names.dlq, partitions: 1, replicationFactor: rf, config: { 'min.insync.replicas': String(Math.min(2, rf)) } },
  ]);
  return names;
}

/** High watermarks of every partition of a topic. */
export async function endOffsets(kafka: KafkaConfig, topic: string, partitions: number): Promise<Map<number, number>> {
  const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, `probe-${process.pid}`, 'test-probe') }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const out = new Map<number, number>();
    for (let p = 0; p < partitions; p++) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, p, 10_000, (err, offsets) => (err ? reject(err) : resolve(offsets))),
      );
      out.set(p, w.highOffset);
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** The group's committed offsets (-1 where none), read without joining the group. */
export async function committedOffsets(kafka: KafkaConfig, group: string, topic: string, partitions: number): Promise<Map<number, number>> {
  const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, group, 'test-committed') }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const got = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(tps, 10_000, (err, res) => (err ? reject(err) : resolve(res))),
    );
    return new Map(got.map((tp) => [tp.partition, tp.offset >= 0 ? tp.offset : -1]));
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** librdkafka codes for a coordinator being moved, loaded or not yet reachable (librdkafka rdkafka.h). */
const COORDINATOR_IN_TRANSIT = new Set([
  Kafka.CODES.ERRORS.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  Kafka.CODES.ERRORS.ERR_COORDINATOR_NOT_AVAILABLE,
  Kafka.CODES.ERRORS.ERR_NOT_COORDINATOR,
  Kafka.CODES.ERRORS.ERR__TIMED_OUT,
  Kafka.CODES.ERRORS.ERR__TRANSPORT,
]);

function isCoordinatorInTransit(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && COORDINATOR_IN_TRANSIT.has(code);
}

/** Waits until the group has committed every partition up to its end (an empty one needs no commit); fails with the gap. */
export async function waitForCommitted(kafka: KafkaConfig, group: string, topic: string, end: Map<number, number>, timeoutMs: number, alive?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<number, number>();
  while (Date.now() < deadline) {
    alive?.();
    try {
      last = await committedOffsets(kafka, group, topic, end.size);
    } catch (err) {
      // Right after brokers restart the group's coordinator moves or is still loading its
      // offsets: the read says so, and the next poll asks the new coordinator.
      if (!isCoordinatorInTransit(err)) throw err;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    if ([...end].every(([p, e]) => e === 0 || (last.get(p) ?? -1) >= e)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`group ${group} did not commit to the end of ${topic} in ${timeoutMs} ms: committed ${JSON.stringify([...last])}, end ${JSON.stringify([...end])}`);
}

export interface SinkProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** The process's standard error (JSON logs), for failure messages. */
  log(): string;
  exited(): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Sinks still running when the test process exits are killed (one listener for all). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `consumer/main.ts` with the given settings (environment variables). */
export function startSink(name: string, env: Record<string, string>): SinkProcess {
  return startService('consumer/main.ts', name, { TICKSTREAM_SINK_METRICS: 'false', ...env });
}

/** Starts a service entry point (`consumer/main.ts`, `producer/main.ts`, `bin/tickstream.ts` with `args`) as a child process. */
export function startService(entry: string, name: string, env: Record<string, string>, args: readonly string[] = []): SinkProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, TICKSTREAM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
    if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return {
    child,
    name,
    log: () => stderr,
    exited: () => exit,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** One scrape of a service's /metrics on 127.0.0.1: its text and how long it took. */
export interface Scrape {
  readonly ms: number;
  readonly text: string;
}

export async function scrape(port: number): Promise<Scrape> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { ms: performance.now() - t0, text };
}

/** The sum of a metric's samples in a scrape's text (all label sets). */
export const metric = (text: string, name: string): number => sumOf(parsePrometheusText(text), name);

/** The port a service logged (sink: 'metrics on /metrics' {port}; producer: 'serving metrics' {url}). */
export function metricsPort(p: SinkProcess): number | undefined {
  const sink = logRecords(p, 'metrics on /metrics')[0];
  if (sink && typeof sink.port === 'number') return sink.port;
  const producer = logRecords(p, 'serving metrics')[0];
  if (producer && typeof producer.url === 'string') return Number(new URL(producer.url).port);
  return undefined;
}

/** Log lines of a sink process whose message matches. */
export function logRecords(p: SinkProcess, msg: string): Array<Record<string, unknown>> {
  return p
    .log()
    .split('\n')
    .filter((l) => l.includes(msg))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((r) => r.msg === msg);
}

export interface LakeSummary {
  readonly rows: number;
  readonly distinctPositions: number;
  /** `partition:offset` of every row. */
  readonly positions: Set<string>;
  readonly dts: string[];
  /** Rows whose dt folder is not the UTC date (or month, or year: the lake's partitioning) of their ts. */
  readonly misplaced: number;
  readonly types: Record<string, string>;
  readonly bars: Bar[];
  /** Raw rows of bars_1m (partial rows included). */
  readonly barRows: number;
  readonly files: number;
  /** symbol,ts,price,volume,seq per position, to compare content. */
  readonly rowsByPosition: Map<string, { symbol: string; ts: number; price: number; volume: number; seq: number }>;
}

/**
 * Reads a lake folder with DuckDB. (DuckDB reads S3 through its httpfs extension, which it
 * downloads at run time; offline, S3 tests mirror the bucket to a folder first.)
 */
export async function readLakeDuckDB(root: string): Promise<LakeSummary> {
  const { barsMergeSql } = await import('../../../consumer/bars.js');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const ticks = `read_parquet('${root}/raw/ticks/*/*.parquet', hive_partitioning = true, filename = true)`;
    const bars = `read_parquet('${root}/processed/bars_1m/*/*.parquet', hive_partitioning = true)`;
    const all = async (sql: string): Promise<Array<Record<string, unknown>>> => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
    const [counts] = await all(
      `SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS d, count(DISTINCT filename) AS files,
              sum(CASE WHEN substr(strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d'), 1, length(CAST(dt AS VARCHAR))) <> CAST(dt AS VARCHAR) THEN 1 ELSE 0 END) AS misplaced FROM ${ticks}`,
    );
    const dts = (await all(`SELECT DISTINCT CAST(dt AS VARCHAR) AS dt FROM ${ticks} ORDER BY 1`)).map((r) => String(r.dt));
    const types = Object.fromEntries(
      (await all(`DESCRIBE SELECT * EXCLUDE (dt, filename) FROM ${ticks}`)).map((r) => [String(r.column_name), String(r.column_type)]),
    );
    const rows = await all(`SELECT kafka_partition AS p, kafka_offset AS o, symbol, epoch_ms(ts) AS ts, price, volume, seq FROM ${ticks}`);
    const rowsByPosition = new Map<string, { symbol: string; ts: number; price: number; volume: number; seq: number }>();
    for (const r of rows) {
      rowsByPosition.set(`${Number(r.p)}:${Number(r.o)}`, { symbol: String(r.symbol), ts: Number(r.ts), price: Number(r.price), volume: Number(r.volume), seq: Number(r.seq) });
    }
    const barRows = Number((await all(`SELECT count(*) AS n FROM ${bars}`))[0]!.n);
    const merged = await all(
      `SELECT symbol, epoch_ms(bar_start) AS bar_start, open, high, low, close, volume, trades, vwap FROM (${barsMergeSql(bars)}) ORDER BY symbol, bar_start`,
    );
    return {
      rows: Number(counts!.n),
      distinctPositions: Number(counts!.d),
      positions: new Set(rowsByPosition.keys()),
      dts,
      misplaced: Number(counts!.misplaced),
      types,
      files: Number(counts!.files),
      barRows,
      rowsByPosition,
      bars: merged.map((r) => ({
        symbol: String(r.symbol),
        bar_start: Number(r.bar_start),
        open: Number(r.open),
        high: Number(r.high),
        low: Number(r.low),
        close: Number(r.close),
        volume: Number(r.volume),
        trades: Number(r.trades),
        vwap: r.vwap === null ? null : Number(r.vwap),
      })),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface PyarrowSummary {
  rows: number;
  distinct: number;
  dts: string[];
  schema: Record<string, string>;
  files: number;
}

/** Reads raw/ticks with pyarrow (an independent Parquet implementation). */
export function readLakePyarrow(root: string, s3?: { endpoint: string }): PyarrowSummary {
  const script = `
import json, sys
import pyarrow.dataset as ds
import pyarrow.compute as pc
root = sys.argv[1]
kw = {}
if len(sys.argv) > 2:
    from pyarrow import fs
    filesystem = fs.S3FileSystem(access_key='testing', secret_key='testing', region='us-east-1', endpoint_override=sys.argv[2], scheme='http')
    kw['filesystem'] = filesystem
    root = root[len('s3://'):]
d = ds.dataset(root + '/raw/ticks', format='parquet', partitioning='hive', **kw)
t = d.to_table()
pos = set(zip(t.column('kafka_partition').to_pylist(), t.column('kafka_offset').to_pylist()))
schema = {f.name: str(f.type) for f in d.schema}
print(json.dumps({'rows': t.num_rows, 'distinct': len(pos), 'dts': sorted(set(str(x) for x in t.column('dt').to_pylist())), 'schema': schema, 'files': len(d.files)}))
`;
  const args = ['-c', script, root, ...(s3 ? [s3.endpoint] : [])];
  const res = spawnSync(pythonTool('python'), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`pyarrow failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as PyarrowSummary;
}

/** Dead letters in the DLQ topic, read from the beginning. */
export async function readDeadLetters(kafka: KafkaConfig, topic: string, expected: number): Promise<Array<{ origin: { partition: number; offset: number }; reason: string }>> {
  const { consumeCount } = await import('../../support/kafka.js');
  const got = await consumeCount(kafka, topic, `dlq-reader-${process.pid}-${Date.now()}`, expected, { idleMs: 8000, commit: false });
  return got.map((m) => JSON.parse(m.value) as { origin: { partition: number; offset: number }; reason: string });
}

/** The stream's valid ticks with the Kafka position each landed at (read back from the topic by value). */
export async function ticksWithPositions(kafka: KafkaConfig, topic: string, stream: TickStream): Promise<Array<TestTick & { partition: number; offset: number }>> {
  const { consumeCount } = await import('../../support/kafka.js');
  const got = await consumeCount(kafka, topic, `pos-reader-${process.pid}-${Date.now()}`, stream.messages.length, { idleMs: 8000, commit: false });
  const at = new Map(got.map((m) => [m.value, { partition: m.partition, offset: m.offset }]));
  return stream.ticks.map((t, i) => {
    const pos = at.get(stream.values[i]!);
    if (!pos) throw new Error(`tick ${i} not found in ${topic}`);
    return { ...t, ...pos };
  });
}

/** Copies every object under an s3:// URL into a folder (keys relative to the URL). */
export async function mirrorBucket(url: string, endpoint: string, dir: string): Promise<number> {
  const { S3Store } = await import('../../../consumer/store/s3.js');
  const { LocalStore } = await import('../../../consumer/store/local.js');
  const s3 = new S3Store({ url, endpoint });
  const local = new LocalStore(dir);
  try {
    const keys = await s3.list('');
    for (const k of keys) await local.put(k, (await s3.get(k))!);
    return keys.length;
  } finally {
    await s3.close();
  }
}
