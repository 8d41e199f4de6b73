/**
 * Trino, the engine Athena (engine version 3) is built on, run over a lake folder: Trino 411
 * in a JVM with its Hive connector (test/integration/analytics/trino/TrinoCheck.java), the
 * tables declared as Glue declares them, each query executed the way Athena executes a
 * parameterized one (PREPARE, EXECUTE ... USING with the literals the Athena runner sends).
 *
 * Needs Java 17+ and Maven; the Trino jars (about 340 MB) are fetched from Maven Central
 * once into the tickstream cache (TICKSTREAM_CACHE, default ~/.cache/tickstream).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { athenaValue } from '../../analytics/runners/athena-pure.js';
import type { Row } from '../../analytics/runners/runner.js';
import { LAKE_TABLES, hiveType } from '../../lib/lake.js';
import { systemTool } from './tools.js';

const CHECK_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'integration', 'analytics', 'trino');

/** One query for Trino: the named query's SQL and its parameters as Athena literals. */
export interface TrinoJob {
  readonly name: string;
  readonly sql: string;
  readonly params: readonly string[];
  /** The schema whose tables the unqualified SQL reads (default "tickstream"). */
  readonly schema?: string;
}

export interface TrinoAnswer {
  readonly name: string;
  readonly columns?: string[];
  readonly types?: string[];
  readonly rows?: Array<Array<string | null>>;
  readonly error?: string;
}

export interface TrinoTable {
  readonly name: string;
  /** Folder of the table, relative to the root given to runTrino. */
  readonly location: string;
  readonly columns: string;
  readonly schema?: string;
}

/** Trino's name of each Glue (Hive) column type. */
const TRINO_TYPE: Record<string, string> = { string: 'varchar', timestamp: 'timestamp(3)', double: 'double', bigint: 'bigint', int: 'integer' };

/** The lake's tables as the Glue catalog declares them, in `schema`, under `folder` of the root. */
export function lakeTables(schema = 'tickstream', folder = ''): TrinoTable[] {
  return LAKE_TABLES.map((t) => ({
    name: t.name,
    location: folder ? `${folder}/${t.prefix}` : t.prefix,
    columns: t.columns.map((c) => `${c.name} ${TRINO_TYPE[hiveType(c.type)]}`).join(', '),
    schema,
  }));
}

/** The Trino jars, fetched once per pom into the cache. */
function trinoLibs(): string {
  const mvn = systemTool('mvn', 'maven');
  const pom = join(CHECK_DIR, 'pom.xml');
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

/** Runs every job in one Trino JVM over the tables under `root`; throws unless each job got an answer (an answer may be an error). */
export function runTrino(root: string, tables: readonly TrinoTable[], jobs: readonly TrinoJob[]): Map<string, TrinoAnswer> {
  const java = systemTool('java', 'openjdk-17-jdk-headless');
  if (javaVersion(java) < 17) throw new Error(`Trino 411 needs Java 17 or later; ${java} is older`);
  const libs = trinoLibs();
  const work = mkdtempSync(join(tmpdir(), 'tickstream-trino-'));
  try {
    writeFileSync(join(work, 'job.json'), JSON.stringify({ tables, queries: jobs }));
    const r = spawnSync(
      java,
      ['-Duser.timezone=UTC', '-Xmx1g', '-XX:+UseSerialGC', '-cp', `${libs}/*`, join(CHECK_DIR, 'TrinoCheck.java'), root, join(work, 'metastore'), join(work, 'job.json')],
      { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 20 * 60_000 },
    );
    const answers = new Map<string, TrinoAnswer>();
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const a = JSON.parse(line) as TrinoAnswer;
      answers.set(a.name, a);
    }
    if (answers.size !== jobs.length) throw new Error(`Trino answered ${answers.size} of ${jobs.length} queries (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
    return answers;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** An answer's rows as the Athena runner gives them (its own cell conversion); throws on a Trino error. */
export function trinoRows(answer: TrinoAnswer): Row[] {
  if (answer.error !== undefined) throw new Error(`Trino error in ${answer.name}: ${answer.error}`);
  return answer.rows!.map((cells) => Object.fromEntries(answer.columns!.map((name, j) => [name, athenaValue(cells[j] ?? undefined, answer.types![j]!)])));
}

/** The named queries with parameters that reach every shape of their SQL (date windows, an injection attempt, custom intervals). */
export const TRINO_CASES: ReadonlyArray<{ query: string; params: Record<string, string> }> = [
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
