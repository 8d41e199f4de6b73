/**
 * A year-partitioned lake (what docs/sink.md, "Time partitioning", recommends for a historical replay) compacted
 * to one file per partition gives the same answers as before on Trino, the engine Athena is
 * built on, as it does on DuckDB: both lakes are read in one Trino run (a schema each), every
 * named query with the parameters of the dialect test, before against after and each against
 * DuckDB.
 */
import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { athenaLiteral, bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import type { Row } from '../../../analytics/runners/runner.js';
import type { CompactionPolicy } from '../../../compact/plan.js';
import { compactLake } from '../../../compact/run.js';
import { LocalStore } from '../../../consumer/store/local.js';
import { buildIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import { TRINO_CASES, lakeTables, runTrino, trinoRows, type TrinoAnswer, type TrinoJob } from '../../support/trino.js';
import { expectRows } from '../analytics/expected.js';
import { answers, listedFiles, listedRows, type Answers } from './support.js';

const NOW_POLICY: CompactionPolicy = { targetBytes: 128 * 1024 * 1024, minAgeMs: 0, graceMs: 0 };

describe('compaction of a year-partitioned lake: the same answers on Trino and DuckDB', function () {
  this.timeout(30 * 60_000);
  const work = mkdtempSync(join(tmpdir(), 'tickstream-compact-trino-'));
  let lake: IndexLake;
  let was: Answers;
  let compacted: Answers;
  const duckBefore = new Map<string, Row[]>();
  const trino = new Map<string, TrinoAnswer>();
  const key = (schema: string, i: number): string => `${schema}:${TRINO_CASES[i]!.query}#${i}`;
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    lake = buildIndexLake({
      root: join(work, 'before'),
      from: '2019-10-01',
      to: '2020-04-30',
      splitCloseMinute: true,
      defects: { duplicateEvery: 97, lateEvery: 89, redeliverEvery: 501 },
      partitioning: 'year',
      filePerDay: true,
    });
    was = await answers(lake.root);

    // The copy to compact, its files two days old (closed for any minimum age).
    const root = join(work, 'after');
    cpSync(lake.root, root, { recursive: true });
    const old = new Date(Date.now() - 2 * 86_400_000);
    for (const f of readdirSync(root, { recursive: true, withFileTypes: true })) if (f.isFile()) utimesSync(join(f.parentPath, f.name), old, old);
    const report = await compactLake({ store: new LocalStore(root), policy: NOW_POLICY });
    expect(report.failed, JSON.stringify(report.partitions.filter((p) => p.outcome !== 'done'))).to.equal(0);
    compacted = await answers(root);

    const jobs: TrinoJob[] = [];
    const duck = await DuckDbRunner.open({ lake: lake.root });
    try {
      for (const [i, c] of TRINO_CASES.entries()) {
        const query = findQuery(c.query);
        const params = bindParams(c.query, query.params, c.params);
        duckBefore.set(key('before', i), [...(await duck.run(query, params)).rows]);
        for (const schema of ['before', 'after']) jobs.push({ name: key(schema, i), sql: query.sql, params: params.map(athenaLiteral), schema });
      }
    } finally {
      await duck.close();
    }
    for (const [name, a] of runTrino(work, [...lakeTables('before', 'before'), ...lakeTables('after', 'after')], jobs)) trino.set(name, a);
  });

  it('leaves one raw file per year, merged across Kafka partitions, and every tick once', () => {
    const files = listedFiles(join(work, 'after'));
    expect([...files.keys()].sort()).to.deep.equal(['dt=2019', 'dt=2020']);
    for (const [dt, names] of files) expect(names, dt).to.have.length(1);
    expect(lake.ticksFiles.files, 'the lake had many small files to start with').to.be.greaterThan(100);
    expect(compacted.ticks).to.equal(lake.ticks.length);
    expect(compacted.distinctTicks).to.equal(was.distinctTicks);
    expect(compacted.bars).to.equal(was.bars);
    expect(listedRows(join(work, 'after'))).to.deep.equal({ ticks: lake.ticks.length, bars_1m: was.bars });
  });

  it('gives the same answers to every named query on DuckDB, the data-quality report included', () => {
    expect(was.queries.get('data_quality'), 'data_quality ran').to.have.length.greaterThan(0);
    for (const [name, rows] of was.queries) expect(compacted.queries.get(name), name).to.deep.equal(rows);
  });

  TRINO_CASES.forEach((c, i) => {
    it(`on Trino, ${c.query} ${JSON.stringify(c.params)}: after as before, and as DuckDB`, () => {
      const trinoWas = trinoRows(trino.get(key('before', i))!);
      const is = trinoRows(trino.get(key('after', i))!);
      expectRows(trinoWas, duckBefore.get(key('before', i))!);
      expectRows(is, trinoWas);
      if (c.params.symbol?.includes("'")) expect(is).to.deep.equal([]);
      else expect(is.length).to.be.greaterThan(0);
    });
  });
});
