/**
 * Measures `tickstream compact` on a lake of many tiny files: the daily bars of
 * `indexData.csv` (the real Kaggle file when TICKSTREAM_REAL_DATA names its folder, else
 * the generated fixture) turned into ticks by the lake fixture (five per bar), written with
 * the sink's encoder in the shape the sink gives a replay: one raw file (and one bars file)
 * per day and Kafka partition.
 *
 *   npx tsx bench/compact/run.ts [--layout day|year] [--s3 http://127.0.0.1:5304] [--from 2000-01-01]
 *
 * `--layout year` puts the same files in `dt=YYYY` folders (compaction treats the dt value
 * as opaque), to show the files per partition a coarse layout compacts to. `--s3` uploads
 * the lake to a bucket on that endpoint (moto) and compacts it there. Prints files, bytes and
 * seconds before and after, and checks every tick is read once after (DuckDB for the day
 * layout: the named queries' answers too; a folder listing for both).
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { compactLake } from '../../compact/run.js';
import { encodeParquet, type LakeRow } from '../../consumer/format/parquet.js';
import { LocalStore } from '../../consumer/store/local.js';
import { S3Store } from '../../consumer/store/s3.js';
import type { ObjectStore } from '../../consumer/store/store.js';
import { BARS_1M, RAW_TICKS, type LakeTable, partitionValue } from '../../lib/lake.js';
import { minuteBars, readIndexBars, readIndexInfo, ticksFromDailyBars, type TickRow } from '../../test/support/lake-fixture.js';
import { generatedKaggle, realKaggle } from '../../test/support/market-data.js';
import { answers, listedRows } from '../../test/integration/compact/support.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const layout = arg('--layout') ?? 'day';
const s3 = arg('--s3');
const from = arg('--from') ?? '0000-01-01';

const data = process.env.TICKSTREAM_REAL_DATA ? realKaggle() : generatedKaggle();
const root = mkdtempSync(join(tmpdir(), 'tickstream-bench-compact-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));

const t0 = performance.now();
const daily = readIndexBars(data.indexData).filter((b) => b.date >= from);
const ticks = ticksFromDailyBars(daily, {}, readIndexInfo(data.indexInfo));
const groups = new Map<string, TickRow[]>();
for (const t of ticks) {
  const key = `${partitionValue('day', t.ts)}/${t.kafka_partition}`;
  const g = groups.get(key);
  if (g) g.push(t);
  else groups.set(key, [t]);
}
const folder = (day: string): string => (layout === 'year' ? day.slice(0, 4) : day);
const write = (table: LakeTable, day: string, name: string, rows: readonly LakeRow[]): void => {
  const file = join(root, table.prefix, `dt=${folder(day)}`, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, encodeParquet(table, rows));
};
for (const [key, rows] of groups) {
  const [day, partition] = key.split('/') as [string, string];
  const name = `ticks+${partition}+${String(rows[0]!.kafka_offset).padStart(20, '0')}.parquet`;
  write(RAW_TICKS, day, name, rows as unknown as LakeRow[]);
  write(BARS_1M, day, name, minuteBars(rows) as unknown as LakeRow[]);
}
const built = (performance.now() - t0) / 1000;

function census(dir: string): Record<string, { partitions: number; files: number; bytes: number }> {
  const out: Record<string, { partitions: number; files: number; bytes: number }> = {};
  for (const table of [RAW_TICKS, BARS_1M]) {
    const base = join(dir, table.prefix);
    const folders = readdirSync(base).filter((d) => d.startsWith('dt='));
    let files = 0;
    let bytes = 0;
    for (const d of folders) {
      for (const n of readdirSync(join(base, d))) {
        if (!n.endsWith('.parquet') || n.startsWith('_')) continue;
        files++;
        bytes += readFileSync(join(base, d, n)).length;
      }
    }
    out[table.name] = { partitions: folders.length, files, bytes };
  }
  return out;
}

console.log(`data: ${data.label}; ${daily.length} daily bars from ${from}, ${ticks.length} ticks; layout ${layout}; built in ${built.toFixed(1)} s`);
const before = census(root);
console.log('before', JSON.stringify(before));
const baseline = layout === 'day' ? await answers(root) : null;

let store: ObjectStore;
let dir = root;
if (s3) {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  const bucket = `bench-compact-${process.pid}`;
  const s3store = new S3Store({ url: `s3://${bucket}/lake`, endpoint: s3 });
  await s3store.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const u0 = performance.now();
  for (const f of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) await s3store.put(relative(root, join(f.parentPath, f.name)), readFileSync(join(f.parentPath, f.name)));
  }
  console.log(`uploaded to ${s3store.url} in ${((performance.now() - u0) / 1000).toFixed(1)} s`);
  store = s3store;
} else {
  store = new LocalStore(root);
}

const c0 = performance.now();
const report = await compactLake({
  store,
  policy: { targetBytes: 128 * 1024 * 1024, minAgeMs: 0, graceMs: 0 },
  onProgress: (line) => {
    if (/\[\d+0{3}\//.test(line) || /: \d+ partition/.test(line)) console.log(`  ${line}`);
  },
});
const seconds = (performance.now() - c0) / 1000;
console.log(`compacted ${report.partitions.filter((p) => p.outcome === 'done').length} partitions, ${report.failed} failed, in ${seconds.toFixed(1)} s`);

if (store instanceof S3Store) {
  dir = join(root, '..', `${relative(dirname(root), root)}-mirror`);
  for (const key of await store.list('')) {
    const file = join(dir, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, (await store.get(key))!);
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await store.close();
}
const after = census(dir);
console.log('after', JSON.stringify(after));
const listed = listedRows(dir);
console.log(`rows a folder listing reads after: ${JSON.stringify(listed)} (ticks written: ${ticks.length})`);
if (listed.ticks !== ticks.length) throw new Error('tick count changed');
if (baseline) {
  const got = await answers(dir);
  const same = [...baseline.queries].every(([q, rows]) => JSON.stringify(got.queries.get(q)) === JSON.stringify(rows));
  console.log(`DuckDB after: ${got.ticks} ticks (before ${baseline.ticks}), ${got.distinctTicks} distinct; named queries ${same ? 'identical' : 'DIFFERENT'}`);
  if (!same || got.ticks !== baseline.ticks) throw new Error('answers changed');
}
