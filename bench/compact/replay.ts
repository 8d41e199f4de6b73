/**
 * Issue 18's whole path on the index data, through the real parts: `tickstream produce
 * indexData.csv --ticks-per-bar 4` into Kafka, a sink with the partitioning docs/sink.md
 * recommends for history writes a lake folder until its group has committed every tick,
 * then `compact` merges each partition. Checked and printed (one JSON line at the end):
 * raw files and folders before and after, the sink's time against the producer's, every
 * tick once (DuckDB: count and distinct Kafka positions; the data-quality query's
 * redelivered and duplicate counts), and the named queries' answers before and after on
 * DuckDB and on Trino (both lakes in one Trino run). Exits 1 when a check fails.
 *
 *   TICKSTREAM_KAFKA_BOOTSTRAP=127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094 \
 *   TICKSTREAM_REAL_DATA=<folder with the Kaggle files> \
 *     npx tsx bench/compact/replay.ts [--partitioning year] [--ticks-per-bar 4] [--partitions 6]
 *
 * Without TICKSTREAM_REAL_DATA it replays the generated fixture of the same shape.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { athenaLiteral, bindParams } from '../../analytics/params.js';
import { findQuery } from '../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../analytics/runners/duckdb.js';
import type { Row } from '../../analytics/runners/runner.js';
import { compactLake } from '../../compact/run.js';
import { LocalStore } from '../../consumer/store/local.js';
import { RAW_TICKS } from '../../lib/lake.js';
import { expectRows } from '../../test/integration/analytics/expected.js';
import { answers, listedFiles, listedRows } from '../../test/integration/compact/support.js';
import { createTopics, endOffsets, startSink, waitForCommitted } from '../../test/integration/consumer/support.js';
import { requireKafka, sharedKafka } from '../../test/support/kafka.js';
import { generatedKaggle, realKaggle } from '../../test/support/market-data.js';
import { TRINO_CASES, lakeTables, runTrino, trinoRows, type TrinoJob } from '../../test/support/trino.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const partitioning = arg('--partitioning', 'year');
const ticksPerBar = arg('--ticks-per-bar', '4');
const partitions = Number(arg('--partitions', '6'));

const failures: string[] = [];
const check = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
  process.stderr.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
};
const say = (line: string): void => void process.stderr.write(`${line}\n`);

const data = process.env.TICKSTREAM_REAL_DATA ? realKaggle() : generatedKaggle();
const kafka = sharedKafka();
const brokers = await requireKafka(kafka);
const work = mkdtempSync(join(tmpdir(), 'tickstream-bench-replay-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
const lake = join(work, 'after');
const prefix = `replay-${process.pid}-${Date.now()}.`;
const group = `${prefix}sink`;
const topics = await createTopics(kafka, prefix, partitions, Math.min(3, brokers));
const load = [loadavg()[0]!];

// 1. The replay.
say(`replaying ${data.indexData} (${data.label}) at ${ticksPerBar} ticks per bar into ${topics.ticks}`);
const p0 = performance.now();
const produced = spawnSync(process.execPath, ['bin/tickstream.js', 'produce', data.indexData, '--ticks-per-bar', ticksPerBar], {
  env: { ...process.env, TICKSTREAM_TOPIC_PREFIX: prefix, TICKSTREAM_PRODUCER_PROGRESS: 'off' },
  encoding: 'utf8',
});
const producerSeconds = (performance.now() - p0) / 1000;
if (produced.status !== 0) throw new Error(`the producer exited ${produced.status}:\n${produced.stderr.slice(-3000)}`);
const end = await endOffsets(kafka, topics.ticks, partitions);
const ticks = [...end.values()].reduce((a, b) => a + b, 0);
say(`producer: ${ticks} ticks in ${producerSeconds.toFixed(1)} s`);

// 2. The sink, from its start until the group has committed every tick.
const s0 = performance.now();
const sink = startSink('replay-sink', {
  TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
  TICKSTREAM_TOPIC_PREFIX: prefix,
  TICKSTREAM_LAKE: lake,
  TICKSTREAM_SINK_GROUP: group,
  TICKSTREAM_LAKE_PARTITIONING: partitioning,
});
await waitForCommitted(kafka, group, topics.ticks, end, 30 * 60_000, () => {
  if (sink.child.exitCode !== null) throw new Error(`the sink exited (${sink.child.exitCode}):\n${sink.log().slice(-3000)}`);
});
const sinkSeconds = (performance.now() - s0) / 1000;
check((await sink.kill('SIGTERM')) === 0, 'the sink stops with status 0');
say(`sink: everything committed after ${sinkSeconds.toFixed(1)} s`);

const census = (root: string): { folders: number; files: number } => {
  const files = listedFiles(root, RAW_TICKS);
  return { folders: files.size, files: [...files.values()].reduce((a, f) => a + f.length, 0) };
};
const raw = census(lake);
check(raw.files <= 400, `raw files after the replay: ${raw.files} in ${raw.folders} folders (at most 400)`);
check(sinkSeconds <= 2 * producerSeconds + 30, `sink ${sinkSeconds.toFixed(1)} s within twice the producer's ${producerSeconds.toFixed(1)} s plus 30 s`);

// 3. Compaction (the copy before it is kept for Trino).
cpSync(lake, join(work, 'before'), { recursive: true });
const before = await answers(lake);
const c0 = performance.now();
const report = await compactLake({ store: new LocalStore(lake), policy: { targetBytes: 128 * 1024 * 1024, minAgeMs: 0, graceMs: 0 } });
const compactSeconds = (performance.now() - c0) / 1000;
check(report.failed === 0, `compaction: ${report.partitions.filter((p) => p.outcome === 'done').length} partitions done, ${report.failed} failed, ${compactSeconds.toFixed(1)} s`);
const compacted = census(lake);
const perPartition = [...listedFiles(lake, RAW_TICKS).values()].map((f) => f.length);
check(perPartition.every((n) => n <= 1), `after compaction: ${compacted.files} raw files in ${compacted.folders} folders, at most one per partition`);

// 4. Every tick once, and the same answers.
const after = await answers(lake);
check(after.ticks === ticks && after.distinctTicks === ticks, `DuckDB: ${after.ticks} ticks, ${after.distinctTicks} distinct, of ${ticks} in Kafka`);
check(listedRows(lake).ticks === ticks, 'a folder-listing engine reads every tick once');
const quality = after.queries.get('data_quality') ?? [];
const redelivered = quality.reduce((a, r) => a + Number(r.redelivered ?? 0), 0);
const quTicks = quality.reduce((a, r) => a + Number(r.ticks ?? 0), 0);
check(redelivered === 0 && quTicks === ticks, `data_quality: ${quTicks} ticks over ${quality.length} symbols, ${redelivered} redelivered`);
const duckSame = [...before.queries].filter(([name, rows]) => JSON.stringify(after.queries.get(name)) !== JSON.stringify(rows)).map(([n]) => n);
check(duckSame.length === 0, `DuckDB: every named query answers as before${duckSame.length ? ` (differs: ${duckSame.join(', ')})` : ''}`);

const jobs: TrinoJob[] = [];
const duckWindows = new Map<string, Row[]>();
const duck = await DuckDbRunner.open({ lake: join(work, 'before') });
try {
  for (const [i, c] of TRINO_CASES.entries()) {
    const query = findQuery(c.query);
    const params = bindParams(c.query, query.params, c.params);
    duckWindows.set(String(i), [...(await duck.run(query, params)).rows]);
    for (const schema of ['before', 'after']) jobs.push({ name: `${schema}#${i}`, sql: query.sql, params: params.map(athenaLiteral), schema });
  }
} finally {
  await duck.close();
}
const t0 = performance.now();
const trino = runTrino(work, [...lakeTables('before', 'before'), ...lakeTables('after', 'after')], jobs);
const trinoSeconds = (performance.now() - t0) / 1000;
const trinoDiffers: string[] = [];
for (const [i, c] of TRINO_CASES.entries()) {
  try {
    const was = trinoRows(trino.get(`before#${i}`)!);
    expectRows(was, duckWindows.get(String(i))!);
    expectRows(trinoRows(trino.get(`after#${i}`)!), was);
  } catch (err) {
    trinoDiffers.push(`${c.query} ${JSON.stringify(c.params)}: ${(err as Error).message.split('\n')[0]}`);
  }
}
check(trinoDiffers.length === 0, `Trino: ${TRINO_CASES.length} queries answer after as before, and as DuckDB${trinoDiffers.length ? `; ${trinoDiffers.join('; ')}` : ''}`);

load.push(loadavg()[0]!);
const result = {
  data: data.label,
  partitioning,
  ticks_per_bar: Number(ticksPerBar),
  kafka_partitions: partitions,
  ticks,
  producer_seconds: Number(producerSeconds.toFixed(1)),
  sink_seconds: Number(sinkSeconds.toFixed(1)),
  raw_files_before: raw.files,
  raw_folders: raw.folders,
  raw_files_after: compacted.files,
  compact_seconds: Number(compactSeconds.toFixed(1)),
  trino_seconds: Number(trinoSeconds.toFixed(1)),
  failed_checks: failures,
  machine: { nproc: cpus().length, loadavg_start: load[0], loadavg_end: load[1] },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(failures.length === 0 ? 0 : 1);
