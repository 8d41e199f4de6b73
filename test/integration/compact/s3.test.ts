/**
 * `tickstream compact` on a lake on S3 (moto): the same steps through the S3 store. After
 * each run the bucket is mirrored to a folder, byte for byte (markers and hidden files
 * included), and read there by DuckDB and by a folder listing, so the answers are those a
 * reader of the bucket gets.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { MARKER_NAME, decodeMarker } from '../../../compact/marker.js';
import type { CompactionPolicy } from '../../../compact/plan.js';
import { compactLake, type CrashPoint } from '../../../compact/run.js';
import { S3Store } from '../../../consumer/store/s3.js';
import { buildIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import { requireMoto, TEST_AWS_ENV } from '../../support/moto.js';
import { answers, listedFiles, listedRows, type Answers } from './support.js';

const POLICY: CompactionPolicy = { targetBytes: 128 * 1024 * 1024, minAgeMs: 0, graceMs: 0 };
const CRASH_POINTS: CrashPoint[] = ['staged', 'committed', 'copied', 'replaced-deleted', 'promoted', 'staged-deleted'];

describe('compaction of a lake on S3 (moto)', function () {
  this.timeout(10 * 60_000);
  const bucket = `compact-${process.pid}-${Date.now()}`;
  const work = mkdtempSync(join(tmpdir(), 'tickstream-compact-s3-'));
  let endpoint: string;
  let lake: IndexLake;
  let baseline: Answers;
  const stores: S3Store[] = [];

  before(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    endpoint = await requireMoto();
    lake = buildIndexLake({ root: join(work, 'base'), from: '2020-03-02', to: '2020-03-13', splitCloseMinute: true, defects: { duplicateEvery: 17, redeliverEvery: 29 } });
    baseline = await answers(lake.root);
    const first = storeAt('probe');
    await first.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    rmSync(work, { recursive: true, force: true });
  });

  function storeAt(prefix: string): S3Store {
    const store = new S3Store({ url: `s3://${bucket}/${prefix}`, endpoint });
    stores.push(store);
    return store;
  }

  /** The fixture lake uploaded under its own prefix. */
  async function upload(prefix: string): Promise<S3Store> {
    const store = storeAt(prefix);
    for (const f of readdirSync(lake.root, { recursive: true, withFileTypes: true })) {
      if (!f.isFile()) continue;
      const path = join(f.parentPath, f.name);
      await store.put(relative(lake.root, path), readFileSync(path));
    }
    return store;
  }

  /** Every object of the store into a fresh folder. */
  async function mirror(store: S3Store, name: string): Promise<string> {
    const dir = join(work, name);
    rmSync(dir, { recursive: true, force: true });
    for (const key of await store.list('')) {
      const file = join(dir, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, (await store.get(key))!);
    }
    return dir;
  }

  async function expectExact(store: S3Store, name: string, listing: 'exact' | 'doubled' = 'exact'): Promise<string> {
    const dir = await mirror(store, name);
    const got = await answers(dir);
    expect(got.ticks, `${name}: DuckDB ticks`).to.equal(lake.ticks.length);
    expect(got.distinctTicks).to.equal(baseline.distinctTicks);
    expect(got.bars).to.equal(baseline.bars);
    for (const [query, rows] of baseline.queries) expect(got.queries.get(query), `${name}: ${query}`).to.deep.equal(rows);
    const listed = listedRows(dir);
    if (listing === 'exact') expect(listed, `${name}: rows a folder-listing engine reads`).to.deep.equal({ ticks: lake.ticks.length, bars_1m: baseline.bars });
    else expect(listed.ticks).to.equal(2 * lake.ticks.length);
    return dir;
  }

  it('waits for partitions to close, then merges each into one file; same answers, every tick once', async () => {
    const store = await upload('all');
    const minAge: CompactionPolicy = { ...POLICY, minAgeMs: 3_600_000 };
    const fresh = await compactLake({ store, policy: minAge });
    expect(fresh.partitions.every((p) => p.outcome === 'skipped' && /^open: /.test(p.reason ?? ''))).to.equal(true);
    const report = await compactLake({ store, policy: minAge, now: () => Date.now() + 2 * 3_600_000 });
    expect(report.failed).to.equal(0);
    expect(report.partitions.every((p) => p.outcome === 'done' && p.filesBefore === 2 && p.filesAfter === 1)).to.equal(true);
    const dir = await expectExact(store, 'all-after');
    for (const [dt, files] of listedFiles(dir)) {
      expect(files, dt).to.have.length(1);
      expect(decodeMarker(readFileSync(join(dir, 'raw/ticks', dt, MARKER_NAME)), dt).state).to.equal('done');
      expect(readdirSync(join(dir, 'raw/ticks', dt)).filter((n) => n.startsWith('_compacted-')), dt).to.deep.equal([]);
    }
  });

  for (const point of CRASH_POINTS) {
    it(`a crash after step "${point}" leaves every tick readable once; the next run finishes`, async () => {
      const store = await upload(`crash-${point}`);
      const crashed = await compactLake({
        store,
        policy: POLICY,
        crash: (p) => {
          if (p === point) throw new Error(`injected crash after ${p}`);
        },
      });
      expect(crashed.partitions.every((p) => p.outcome === 'failed')).to.equal(true);
      // Folder-listing engines (Athena) see the promote step's window: see docs/compaction.md.
      await expectExact(store, `crash-${point}-mid`, point === 'copied' ? 'doubled' : 'exact');
      const rerun = await compactLake({ store, policy: POLICY });
      expect(rerun.failed).to.equal(0);
      const dir = await expectExact(store, `crash-${point}-after`);
      for (const [dt, files] of listedFiles(dir)) expect(files, dt).to.have.length(1);
    });
  }

  it('stops a partition at an unreadable file, naming it, and deletes nothing of it', async () => {
    const store = await upload('corrupt');
    const key = 'raw/ticks/dt=2020-03-04/ticks+4+00000000000000000999.parquet';
    await store.put(key, Buffer.from('PAR1 torn upload PAR1'));
    const before = (await store.list('raw/ticks/dt=2020-03-04/')).sort();
    const report = await compactLake({ store, policy: POLICY });
    const bad = report.partitions.find((p) => p.table === 'ticks' && p.partition === 'dt=2020-03-04')!;
    expect(bad.outcome).to.equal('failed');
    expect(bad.reason?.startsWith(`s3://${bucket}/corrupt/${key} is not a readable Parquet file (`), bad.reason).to.equal(true);
    expect((await store.list('raw/ticks/dt=2020-03-04/')).sort()).to.deep.equal(before);
    expect(report.partitions.filter((p) => p.outcome === 'done')).to.have.length(report.partitions.length - 1);
  });
});
