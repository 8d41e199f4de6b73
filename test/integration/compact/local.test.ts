/**
 * `tickstream compact` on a lake folder: the named queries give the same answers on DuckDB
 * before and after, every tick is there once, each partition ends as one file; a crash
 * between any two steps leaves a lake DuckDB reads exactly once, and the next run finishes.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MARKER_NAME, decodeMarker } from '../../../compact/marker.js';
import type { CompactionPolicy } from '../../../compact/plan.js';
import { compactLake, type CrashPoint } from '../../../compact/run.js';
import { LocalStore } from '../../../consumer/store/local.js';
import { buildIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import { answers, listedFiles, listedRows, type Answers } from './support.js';

const NOW_POLICY: CompactionPolicy = { targetBytes: 128 * 1024 * 1024, minAgeMs: 0, graceMs: 0 };
const CRASH_POINTS: CrashPoint[] = ['staged', 'committed', 'copied', 'replaced-deleted', 'promoted', 'staged-deleted'];
const BIN = join(process.cwd(), 'bin', 'tickstream.js');

class Crash extends Error {}

describe('compaction of a lake folder', function () {
  this.timeout(10 * 60_000);
  let lake: IndexLake;
  let baseline: Answers;
  const work = mkdtempSync(join(tmpdir(), 'tickstream-compact-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    lake = buildIndexLake({ root: join(work, 'base'), from: '2020-02-03', to: '2020-02-21', splitCloseMinute: true, defects: { duplicateEvery: 23, lateEvery: 19, redeliverEvery: 31 } });
    baseline = await answers(lake.root);
    expect(baseline.ticks).to.equal(lake.ticks.length);
  });

  /** A copy of the lake whose files are two days old (closed for any minimum age used here). */
  function copy(name: string): string {
    const dir = join(work, name);
    cpSync(lake.root, dir, { recursive: true });
    const old = new Date(Date.now() - 2 * 86_400_000);
    for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) if (f.isFile()) utimesSync(join(f.parentPath, f.name), old, old);
    return dir;
  }

  it('merges each partition into one file; same answers, same count, every tick once', async () => {
    const root = copy('all');
    const store = new LocalStore(root);
    const lines: string[] = [];
    const report = await compactLake({ store, policy: NOW_POLICY, onProgress: (l) => lines.push(l) });
    expect(report.failed).to.equal(0);
    const ticks = report.partitions.filter((p) => p.table === 'ticks');
    expect(ticks.every((p) => p.outcome === 'done' && p.filesBefore === 2 && p.filesAfter === 1), JSON.stringify(ticks[0])).to.equal(true);
    expect(lines.some((l) => /ticks \[1\/\d+\] dt=2020-02-03: done \(compact, promote, finish\) files 2 -> 1/.test(l)), lines.join('\n')).to.equal(true);
    // Only the compacted file is left (plus the marker): nothing to read twice for any engine.
    for (const [dt, files] of listedFiles(root)) {
      expect(files, dt).to.have.length(1);
      expect(readdirSync(join(root, 'raw/ticks', dt)).sort(), dt).to.deep.equal([MARKER_NAME, files[0]!].sort());
    }
    const after = await answers(root);
    expect(after.ticks).to.equal(lake.ticks.length);
    expect(after.distinctTicks).to.equal(baseline.distinctTicks);
    expect(after.bars).to.equal(baseline.bars);
    for (const [name, rows] of baseline.queries) expect(after.queries.get(name), name).to.deep.equal(rows);
    expect(listedRows(root)).to.deep.equal({ ticks: lake.ticks.length, bars_1m: baseline.bars });
    // A second run has nothing to do.
    const again = await compactLake({ store, policy: NOW_POLICY });
    expect(again.partitions.every((p) => p.outcome === 'skipped')).to.equal(true);
  });

  for (const point of CRASH_POINTS) {
    it(`a crash after step "${point}" leaves every tick readable once; the next run finishes`, async () => {
      const root = copy(`crash-${point}`);
      const store = new LocalStore(root);
      const crashed = await compactLake({
        store,
        policy: NOW_POLICY,
        tables: undefined,
        crash: (p) => {
          if (p === point) throw new Crash(`injected crash after ${p}`);
        },
      });
      expect(crashed.partitions.every((p) => p.outcome === 'failed' && /injected crash/.test(p.reason ?? ''))).to.equal(true);
      const mid = await answers(root);
      expect(mid.ticks, 'DuckDB ticks after the crash').to.equal(lake.ticks.length);
      expect(mid.distinctTicks).to.equal(baseline.distinctTicks);
      expect(mid.bars).to.equal(baseline.bars);
      for (const [name, rows] of baseline.queries) expect(mid.queries.get(name), `${name} after the crash`).to.deep.equal(rows);
      // Engines that list folders: exact, except after the promote step's copy and before
      // its deletes, where the compacted file sits beside the files it replaces (the
      // window docs/compaction.md describes).
      const listed = listedRows(root);
      if (point === 'copied') expect(listed.ticks).to.equal(2 * lake.ticks.length);
      else expect(listed).to.deep.equal({ ticks: lake.ticks.length, bars_1m: baseline.bars });

      const rerun = await compactLake({ store, policy: NOW_POLICY });
      expect(rerun.failed).to.equal(0);
      for (const [dt, files] of listedFiles(root)) expect(files, dt).to.have.length(1);
      const after = await answers(root);
      expect(after.ticks).to.equal(lake.ticks.length);
      for (const [name, rows] of baseline.queries) expect(after.queries.get(name), name).to.deep.equal(rows);
      expect(listedRows(root)).to.deep.equal({ ticks: lake.ticks.length, bars_1m: baseline.bars });
      for (const dt of listedFiles(root).keys()) {
        const marker = decodeMarker(readFileSync(join(root, 'raw/ticks', dt, MARKER_NAME)), dt);
        expect(marker.state, dt).to.equal('done');
      }
    });
  }

  it('keeps replaced files for the grace period, then promotes, then finishes, by the clock', async () => {
    const root = copy('grace');
    const store = new LocalStore(root);
    const policy = { ...NOW_POLICY, graceMs: 3_600_000 };
    let now = Date.now();
    const run = () => compactLake({ store, policy, now: () => now, tables: undefined });
    const first = await run();
    expect(first.partitions.every((p) => p.outcome === 'waiting' && /grace period/.test(p.reason ?? ''))).to.equal(true);
    const dt = 'dt=2020-02-03';
    const names = () => readdirSync(join(root, 'raw/ticks', dt)).sort();
    expect(names().filter((n) => n.startsWith('ticks+'))).to.have.length(2); // still there for running queries
    expect(names().filter((n) => n.startsWith('_compacted-'))).to.have.length(1);
    expect((await answers(root)).ticks).to.equal(lake.ticks.length);
    now += 3_600_000;
    const second = await run();
    expect(second.partitions.every((p) => p.outcome === 'waiting')).to.equal(true);
    expect(names().filter((n) => n.startsWith('ticks+'))).to.deep.equal([]);
    expect(names().filter((n) => n.startsWith('_compacted-') || n.startsWith('compacted-'))).to.have.length(2);
    expect((await answers(root)).ticks).to.equal(lake.ticks.length);
    now += 3_600_000;
    const third = await run();
    expect(third.partitions.every((p) => p.outcome === 'done')).to.equal(true);
    expect(names().filter((n) => n.endsWith('.parquet'))).to.have.length(1);
    expect((await answers(root)).ticks).to.equal(lake.ticks.length);
  });

  it('leaves open partitions alone, and compacts late files with the earlier output', async () => {
    const root = copy('late');
    const store = new LocalStore(root);
    const recent = new Date();
    for (const name of readdirSync(join(root, 'raw/ticks/dt=2020-02-21'))) utimesSync(join(root, 'raw/ticks/dt=2020-02-21', name), recent, recent);
    const policy = { ...NOW_POLICY, minAgeMs: 3_600_000 };
    const report = await compactLake({ store, policy, tables: undefined });
    const open = report.partitions.find((p) => p.table === 'ticks' && p.partition === 'dt=2020-02-21')!;
    expect(open.outcome).to.equal('skipped');
    expect(open.reason).to.match(/^open: newest file is \d+ s old, under the minimum age 1\.0 h/);
    // A late file arrives in a compacted partition (a copy of one under a new name: its rows
    // count twice from now on, as they would if the sink wrote them late).
    const dir = join(root, 'raw/ticks/dt=2020-02-03');
    const compacted = readdirSync(dir).find((n) => n.startsWith('compacted-'))!;
    cpSync(join(dir, compacted), join(dir, 'ticks+5+00000000000000099999.parquet'));
    const old = new Date(Date.now() - 7_200_000);
    utimesSync(join(dir, 'ticks+5+00000000000000099999.parquet'), old, old);
    const withLate = await answers(root);
    const rows = lake.ticks.filter((t) => new Date(t.ts).toISOString().startsWith('2020-02-03')).length;
    expect(withLate.ticks).to.equal(lake.ticks.length + rows);
    const again = await compactLake({ store, policy, partitions: ['dt=2020-02-03'], tables: undefined });
    expect(again.partitions.filter((p) => p.table === 'ticks').map((p) => [p.outcome, p.filesBefore, p.filesAfter])).to.deep.equal([['done', 2, 1]]);
    expect((await answers(root)).ticks).to.equal(lake.ticks.length + rows);
    expect(listedFiles(root).get('dt=2020-02-03')).to.have.length(1);
  });

  it('CLI: stops a partition with a corrupt file, naming it, deletes nothing of it; bad config names the key', () => {
    const root = copy('corrupt');
    const bad = join(root, 'raw/ticks/dt=2020-02-05/ticks+3+00000000000000000777.parquet');
    writeFileSync(bad, 'PAR1 this is not a parquet file PAR1');
    const before5 = readdirSync(join(root, 'raw/ticks/dt=2020-02-05')).sort();
    const r = spawnSync(process.execPath, [BIN, 'compact', '--lake', root, '--min-age-hours', '0', '--grace-seconds', '0'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.include(`FAILED ticks dt=2020-02-05: file://${bad} is not a readable Parquet file`);
    expect(r.stdout).to.match(/ticks\s+\d+\s+\d+\s+0\s+1\s+/);
    expect(readdirSync(join(root, 'raw/ticks/dt=2020-02-05')).sort()).to.deep.equal(before5);
    expect(existsSync(join(root, 'raw/ticks/dt=2020-02-05', MARKER_NAME))).to.equal(false);
    expect(listedFiles(root).get('dt=2020-02-04')).to.have.length(1);

    const c = spawnSync(process.execPath, [BIN, 'compact', '--lake', root], { encoding: 'utf8', env: { ...process.env, TICKSTREAM_COMPACT_TARGET_MB: '0' } });
    expect(c.status).to.equal(2);
    expect(c.stderr).to.include('compact.targetMb');
    expect(c.stderr).to.include('TICKSTREAM_COMPACT_TARGET_MB');
  });
});
