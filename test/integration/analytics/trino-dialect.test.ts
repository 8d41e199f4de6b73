/**
 * The named queries run unchanged on Trino, the engine Athena (engine version 3) is built
 * on, and give DuckDB's answers. Trino 411 runs in a JVM with its Hive connector over the
 * same Parquet lake, with the tables declared as Glue declares them, and each query is
 * executed the way Athena executes a parameterized query (PREPARE, EXECUTE ... USING with
 * the literals the Athena runner sends as ExecutionParameters). Its cells are read back
 * with the Athena runner's own conversion, so the comparison covers that too.
 *
 * Needs Java 17+ and Maven; the Trino jars (about 340 MB) are fetched from Maven Central
 * once into the tickstream cache (TICKSTREAM_CACHE, default ~/.cache/tickstream).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { athenaLiteral, bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { athenaValue } from '../../../analytics/runners/athena-pure.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import type { Row } from '../../../analytics/runners/runner.js';
import { LAKE_TABLES, hiveType } from '../../../lib/lake.js';
import { buildIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import { systemTool } from '../../support/tools.js';
import { expectRows } from './expected.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'trino');

const CASES: Array<{ query: string; params: Record<string, string> }> = [
  { query: 'ohlcv', params: { symbol: 'NYA', interval: '1h', from: '2020-03-01', to: '2020-03-31' } },
  { query: 'ohlcv', params: { interval: '7m' } },
  { query: 'vwap', params: {} },
  { query: 'vwap', params: { symbol: "NYA' OR '1'='1" } },
  { query: 'returns_volatility', params: { window: '5' } },
  { query: 'top_movers', params: { limit: '2', from: '2020-02-15', to: '2020-04-15' } },
  { query: 'max_drawdown', params: {} },
  { query: 'ma_crossovers', params: { short: '5', long: '20' } },
  { query: 'volume_spikes', params: { window: '10', threshold: '1.5' } },
  { query: 'data_quality', params: { gap_seconds: String(4 * 86_400), late_seconds: '60' } },
];

interface TrinoAnswer {
  readonly name: string;
  readonly columns?: string[];
  readonly types?: string[];
  readonly rows?: Array<Array<string | null>>;
  readonly error?: string;
}

/** Trino's name of each Glue (Hive) column type. */
const TRINO_TYPE: Record<string, string> = { string: 'varchar', timestamp: 'timestamp(3)', double: 'double', bigint: 'bigint', int: 'integer' };

/** The tables as the Glue catalog declares them, from the lake contract. */
const TABLES = LAKE_TABLES.map((t) => ({
  name: t.name,
  location: t.prefix,
  columns: t.columns.map((c) => `${c.name} ${TRINO_TYPE[hiveType(c.type)]}`).join(', '),
}));

/** The Trino jars, fetched once per pom into the cache. */
function trinoLibs(): string {
  const mvn = systemTool('mvn', 'maven');
  const pom = join(HERE, 'pom.xml');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const cache = process.env.TICKSTREAM_CACHE ?? join(homedir(), '.cache', 'tickstream');
  const libs = join(cache, `trino-${hash}`, 'libs');
  if (existsSync(libs)) return libs;
  mkdirSync(dirname(libs), { recursive: true });
  const partial = `${libs}.${process.pid}.partial`;
  const r = spawnSync(mvn, ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`, '-Dmdep.includeScope=runtime'], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) throw new Error(`fetching Trino from Maven Central failed:\n${r.stdout}${r.stderr}`);
  renameSync(partial, libs);
  return libs;
}

function javaVersion(java: string): number {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  return Number(/version "(\d+)/.exec(r.stderr)?.[1] ?? 0);
}

describe('the named queries on Trino (Athena engine 3) give the DuckDB answers', function () {
  this.timeout(30 * 60_000);
  let lake: IndexLake;
  const answers = new Map<string, TrinoAnswer>();
  const local = new Map<string, Row[]>();
  const key = (i: number) => `${CASES[i]!.query}#${i}`;

  before(async () => {
    const java = systemTool('java', 'openjdk-17-jdk-headless');
    expect(javaVersion(java), 'Trino 411 needs Java 17 or later').to.be.at.least(17);
    const libs = trinoLibs();
    lake = buildIndexLake({ from: '2020-02-01', to: '2020-04-30', splitCloseMinute: true, defects: { duplicateEvery: 97, lateEvery: 89, redeliverEvery: 501 } });

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

    const work = mkdtempSync(join(tmpdir(), 'tickstream-trino-'));
    try {
      writeFileSync(join(work, 'job.json'), JSON.stringify({ tables: TABLES, queries: jobs }));
      const r = spawnSync(
        java,
        ['-Duser.timezone=UTC', '-Xmx1g', '-XX:+UseSerialGC', '-cp', `${libs}/*`, join(HERE, 'TrinoCheck.java'), lake.root, join(work, 'metastore'), join(work, 'job.json')],
        { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 20 * 60_000 },
      );
      for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
        const a = JSON.parse(line) as TrinoAnswer;
        answers.set(a.name, a);
      }
      if (answers.size !== jobs.length) throw new Error(`Trino answered ${answers.size} of ${jobs.length} queries (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  CASES.forEach((c, i) => {
    it(`${c.query} ${JSON.stringify(c.params)}`, () => {
      const a = answers.get(key(i))!;
      expect(a.error, 'Trino error').to.equal(undefined);
      const rows = a.rows!.map((cells) => Object.fromEntries(a.columns!.map((name, j) => [name, athenaValue(cells[j] ?? undefined, a.types![j]!)])));
      expectRows(rows, local.get(key(i))!);
      if (c.params.symbol?.includes("'")) expect(rows).to.deep.equal([]);
      else expect(rows.length).to.be.greaterThan(0);
    });
  });
});
