/**
 * The named queries run unchanged on Trino, the engine Athena (engine version 3) is built
 * on, and give DuckDB's answers. Trino runs over the same Parquet lake with the tables
 * declared as Glue declares them, each query executed the way Athena executes a
 * parameterized query (test/support/trino.ts). Its cells are read back with the Athena
 * runner's own conversion, so the comparison covers that too.
 */
import { expect } from 'chai';
import { athenaLiteral, bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import type { Row } from '../../../analytics/runners/runner.js';
import type { Partitioning } from '../../../lib/lake.js';
import { buildIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import { TRINO_CASES as CASES, lakeTables, runTrino, trinoRows, type TrinoAnswer } from '../../support/trino.js';
import { expectRows } from './expected.js';

/**
 * Once on a day-partitioned lake and once on a month-partitioned one (dt=YYYY-MM, the
 * partition filter's other shapes: lib/lake.ts), each against DuckDB on the same lake.
 */
function describeTrino(partitioning: Partitioning): void {
  describe(`the named queries on Trino (Athena engine 3) give the DuckDB answers (${partitioning} partitions)`, function () {
    this.timeout(30 * 60_000);
    let lake: IndexLake;
    const answers = new Map<string, TrinoAnswer>();
    const local = new Map<string, Row[]>();
    const key = (i: number) => `${CASES[i]!.query}#${i}`;

    before(async () => {
      lake = buildIndexLake({ from: '2020-02-01', to: '2020-04-30', splitCloseMinute: true, defects: { duplicateEvery: 97, lateEvery: 89, redeliverEvery: 501 }, partitioning });

      const duck = await DuckDbRunner.open({ lake: lake.root });
      const jobs = [];
      try {
        for (const [i, c] of CASES.entries()) {
          const query = findQuery(c.query);
          const params = bindParams(c.query, query.params, c.params);
          local.set(key(i), [...(await duck.run(query, params)).rows]);
          jobs.push({ name: key(i), sql: query.sql, params: params.map(athenaLiteral) });
        }
      } finally {
        await duck.close();
      }
      for (const [name, a] of runTrino(lake.root, lakeTables(), jobs)) answers.set(name, a);
    });

    CASES.forEach((c, i) => {
      it(`${c.query} ${JSON.stringify(c.params)}`, () => {
        const rows = trinoRows(answers.get(key(i))!);
        expectRows(rows, local.get(key(i))!);
        if (c.params.symbol?.includes("'")) expect(rows).to.deep.equal([]);
        else expect(rows.length).to.be.greaterThan(0);
      });
    });
  });
}

describeTrino('day');
describeTrino('month');
