/**
 * `tickstream query ...` and `tickstream catalog ...`: the named queries on DuckDB or
 * Athena, and the local or Glue catalog. Results go to standard output (table, CSV or
 * JSON); progress, statistics and cost go to standard error, so output can be piped.
 * Heavy modules (DuckDB, the AWS SDK) load inside the actions.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { action, formatTable, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';
import type { BoundParam } from './params.js';
import type { NamedQuery } from './query-catalog.js';
import type { QueryResult } from './runners/runner.js';
import { analyticsSpec, type AnalyticsConfig } from './settings.js';

/** The setting flags of `query` and `catalog`: each command declares the ones it takes (help and overrides both come from here). */
const FLAG = {
  lake: ['--lake <folder>', 'analytics.lake', 'lake folder for DuckDB'],
  engine: ['--engine <engine>', 'analytics.engine', 'duckdb | athena'],
  workgroup: ['--workgroup <name>', 'analytics.workgroup', 'Athena workgroup'],
  database: ['--database <name>', 'analytics.database', 'Glue database'],
  outputLocation: ['--output-location <s3url>', 'analytics.outputLocation', 'Athena result location, if the workgroup does not enforce one'],
  endpoint: ['--endpoint <url>', 'analytics.awsEndpoint', 'AWS-compatible endpoint instead of AWS (e.g. moto)'],
} as const satisfies Record<string, SettingFlag>;

const FORMATS = ['table', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

/** Exit code of a query the user cancelled (128 + SIGINT), as shells report it. */
export const EXIT_CANCELLED = 130;

/** The settings, from the config file, the environment and the flags in `mapping` (what `settingFlags` declared). */
function config(opts: Record<string, unknown>, mapping: Record<string, string>): AnalyticsConfig {
  return loadConfig(analyticsSpec, {
    ...(opts.config ? { file: String(opts.config) } : {}),
    overrides: overridesFrom(opts, mapping),
  }).analytics;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The parameter values a user gave: the named flags plus every `-p name=value`. */
export function paramValues(opts: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['symbol', 'from', 'to', 'interval'] as const) {
    if (typeof opts[name] === 'string') out[name] = opts[name];
  }
  for (const pair of (opts.param as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param expects name=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function formatOf(opts: Record<string, unknown>): Format {
  const f = String(opts.format ?? 'table');
  if (!(FORMATS as readonly string[]).includes(f)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
  return f as Format;
}

/** Ctrl-C aborts the signal once (the engine cancels the query); a second Ctrl-C exits at once. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_CANCELLED);
    process.stderr.write('\ncancelling the query (Ctrl-C again to quit at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export function registerAnalyticsCommands(program: Command): void {
  const query = program
    .command('query')
    .description('run a named SQL query (analytics/queries) on DuckDB over the lake folder, or on Athena')
    .argument('[name]', 'query name (see --list)')
    .option('--list', 'list the named queries and their parameters')
    .option('--describe', 'show what the query answers and its parameters, without running it')
    .option('--symbol <symbol>', 'parameter symbol (omit for every symbol)')
    .option('--from <YYYY-MM-DD>', 'parameter from: first day, inclusive')
    .option('--to <YYYY-MM-DD>', 'parameter to: last day, inclusive')
    .option('--interval <duration>', 'parameter interval: 60, 30s, 5m, 1h, 1d')
    .option('-p, --param <name=value>', 'any other parameter, e.g. -p window=20 (repeatable)', collect, [])
    .option('--format <format>', 'table | csv | json [default table]')
    .option('--chart <file.html>', 'also write an HTML chart of the result (queries with a chart: see --list)')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]');
  const queryFlags = settingFlags(query, analyticsSpec, [FLAG.engine, FLAG.lake, FLAG.workgroup, FLAG.database, FLAG.outputLocation, FLAG.endpoint]);
  query.action(
      action(async (name: string | undefined, opts: Record<string, unknown>) => {
        const { loadQueries, findQuery } = await import('./query-catalog.js');
        if (opts.list) {
          process.stdout.write(`${listQueries(loadQueries(), formatOf(opts))}\n`);
          return;
        }
        if (!name) throw new Error('name a query, or list them with `tickstream query --list`');
        const query = findQuery(name);
        if (opts.describe) {
          process.stdout.write(`${describeQuery(query)}\n`);
          return;
        }
        const format = formatOf(opts);
        const chartPath = opts.chart === undefined ? undefined : String(opts.chart);
        if (chartPath !== undefined) {
          if (!query.chart) throw new Error(`query ${query.name} has no chart; the queries with one: ${loadQueries().filter((q) => q.chart).map((q) => q.name).join(', ')}`);
          if (!/\.html?$/i.test(chartPath)) throw new Error('--chart writes an HTML file (out.html); PNG is not supported');
        }
        const { bindParams } = await import('./params.js');
        const params = bindParams(query.name, query.params, paramValues(opts));
        const cfg = config(opts, queryFlags);
        const { openRunner } = await import('./engines.js');
        const tty = process.stderr.isTTY;
        const runner = await openRunner(cfg.engine, cfg, {
          ...(tty ? { onState: (e) => process.stderr.write(`\r${e.state} ${(e.elapsedMs / 1000).toFixed(1)} s (${e.queryId})\x1b[K`) } : {}),
        });
        const interrupt = interruptSignal();
        try {
          const { QueryCancelledError } = await import('./runners/runner.js');
          let result;
          try {
            result = await runner.run(query, params, { signal: interrupt.signal });
          } catch (err) {
            if (err instanceof QueryCancelledError) {
              process.stderr.write(`${tty ? '\r\x1b[K' : ''}${err.message}\n`);
              return EXIT_CANCELLED;
            }
            throw err;
          } finally {
            if (tty && cfg.engine === 'athena') process.stderr.write('\r\x1b[K');
          }
          process.stdout.write(await render(format, query.name, params, result));
          if (chartPath) {
            const { chartData, chartHtml, chartLibrary } = await import('./render/chart.js');
            const subtitle = `${query.description}. ${params.map((p) => `${p.name}=${p.value === '' ? "''" : p.value}`).join(', ')}; ${cfg.engine}`;
            writeFileSync(chartPath, chartHtml({ title: query.name, subtitle, spec: query.chart!, charts: chartData(query.chart!, result) }, chartLibrary()));
            process.stderr.write(`chart: ${chartPath}\n`);
          }
          process.stderr.write(`${summary(result)}\n`);
        } finally {
          interrupt.dispose();
          await runner.close();
        }
      }),
  );

  const catalog = program.command('catalog').description('the catalog of the lake: the local one (a lake folder) or AWS Glue');

  const crawl = catalog
    .command('crawl')
    .description('local: discover tables, partitions and schemas and write <lake>/_catalog.json; --glue: run the Glue crawlers and wait')
    .option('--glue', 'run Glue crawlers instead (see --crawler)')
    .option('--crawler <name>', 'a Glue crawler to run (repeatable) [TICKSTREAM_GLUE_CRAWLERS]', collect, [])
    .option('--timeout <seconds>', 'stop waiting for a crawler after this long [default 1800]')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]');
  const crawlFlags = settingFlags(crawl, analyticsSpec, [[FLAG.lake[0], FLAG.lake[1], 'lake folder'], FLAG.endpoint]);
  crawl.action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = config(opts, crawlFlags);
        if (opts.glue) return crawlGlue(cfg, opts);
        const [{ DuckDBInstance }, { crawlLocal, saveCatalog, contractDrift }, { describeCatalog }] = await Promise.all([
          import('@duckdb/node-api'),
          import('./catalog/local.js'),
          import('./catalog/model.js'),
        ]);
        const instance = await DuckDBInstance.create(':memory:');
        const conn = await instance.connect();
        try {
          const found = await crawlLocal(cfg.lake, conn);
          const path = saveCatalog(cfg.lake, found);
          process.stdout.write(`${formatTable(describeCatalog(found), ['table', 'location', 'partitions', 'partitioning', 'first_dt', 'last_dt', 'files', 'bytes'])}\n`);
          warnAbout(found.tables.flatMap((t) => [...(t.schemaConflicts ?? []), ...contractDrift(t)]), found.ignoredFiles ?? []);
          process.stderr.write(`catalog written to ${path}\n`);
        } finally {
          conn.closeSync();
          instance.closeSync();
        }
      }),
  );

  const show = catalog
    .command('show')
    .description('print the tables, columns and partitions of the local catalog (or of Glue with --glue)')
    .option('--glue', 'read the Glue database instead')
    .option('--partitions', 'also list every partition')
    .option('--format <format>', 'table | json [default table]')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]');
  const showFlags = settingFlags(show, analyticsSpec, [[FLAG.lake[0], FLAG.lake[1], 'lake folder'], FLAG.database, FLAG.endpoint]);
  show.action(
      action(async (opts: Record<string, unknown>) => {
        const cfg = config(opts, showFlags);
        const { describeCatalog } = await import('./catalog/model.js');
        let shown;
        if (opts.glue) {
          const glue = await (await import('./engines.js')).openGlue(cfg);
          shown = await glue.read(cfg.database, `glue:${process.env.AWS_REGION ?? 'default region'}`);
        } else {
          const { loadCatalog } = await import('./catalog/local.js');
          shown = loadCatalog(cfg.lake);
          if (!shown) {
            process.stderr.write(`${cfg.lake} has no _catalog.json yet: showing a crawl made now (save it with \`tickstream catalog crawl\`)\n`);
            shown = await crawlInMemory(cfg.lake);
          }
        }
        if (opts.format === 'json') {
          process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
          return;
        }
        process.stdout.write(`database ${shown.database} (${shown.source}, ${shown.location}, as of ${shown.crawledAt})\n\n`);
        process.stdout.write(`${formatTable(describeCatalog(shown))}\n`);
        if (opts.partitions) {
          for (const t of shown.tables) {
            process.stdout.write(`\n${t.name}\n${formatTable(t.partitions.map((p) => ({ dt: p.values.join('/'), location: p.location, files: p.files ?? '', bytes: p.bytes ?? '' })))}\n`);
          }
        }
      }),
  );
}

async function crawlInMemory(lake: string) {
  const [{ DuckDBInstance }, { crawlLocal }] = await Promise.all([import('@duckdb/node-api'), import('./catalog/local.js')]);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await crawlLocal(lake, conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function crawlGlue(cfg: AnalyticsConfig, opts: Record<string, unknown>): Promise<number> {
  const names = (opts.crawler as string[]).length > 0 ? (opts.crawler as string[]) : [...cfg.crawlers];
  if (names.length === 0) throw new Error('name the Glue crawlers with --crawler or TICKSTREAM_GLUE_CRAWLERS');
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new Error('--timeout expects a number of seconds');
  const glue = await (await import('./engines.js')).openGlue(cfg);
  const interrupt = interruptSignal();
  const results = [];
  try {
    // One after another: crawlers of one lake write to the same database.
    for (const name of names) {
      process.stderr.write(`crawler ${name}: starting\n`);
      results.push(
        await glue.crawl(name, {
          signal: interrupt.signal,
          ...(timeoutMs ? { timeoutMs } : {}),
          onState: (s) => process.stderr.write(`crawler ${name}: ${s}\n`),
        }),
      );
    }
  } finally {
    interrupt.dispose();
  }
  process.stdout.write(
    `${formatTable(results.map((r) => ({ crawler: r.crawler, status: r.status, started_here: r.started ? 'yes' : 'no (joined)', seconds: Math.round(r.elapsedMs / 100) / 10, error: r.errorMessage ?? '' })))}\n`,
  );
  return results.every((r) => r.status === 'SUCCEEDED') ? 0 : 1;
}

function warnAbout(problems: readonly string[], ignored: readonly string[]): void {
  for (const p of problems) process.stderr.write(`warning: ${p}\n`);
  if (ignored.length > 0) process.stderr.write(`warning: ${ignored.length} Parquet file(s) outside any <table>/dt=YYYY-MM-DD|YYYY-MM|YYYY/ folder were ignored, e.g. ${ignored[0]}\n`);
}

async function render(
  format: Format,
  name: string,
  params: readonly BoundParam[],
  result: QueryResult,
): Promise<string> {
  switch (format) {
    case 'csv':
      return (await import('./render/csv.js')).renderCsv(result);
    case 'json':
      return (await import('./render/json.js')).renderJson(name, params, result);
    case 'table':
      return `${(await import('./render/table.js')).renderTable(result)}\n`;
  }
}

/** `12 rows in 0.8 s (duckdb)`; Athena adds bytes scanned, cost and the execution id. */
export function summary(result: QueryResult): string {
  const s = result.stats;
  const base = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'} in ${(s.elapsedMs / 1000).toFixed(2)} s (${s.engine})`;
  if (s.engine !== 'athena') return base;
  return `${base}; scanned ${humanBytes(s.bytesScanned ?? 0)}, cost $${(s.costUsd ?? 0).toFixed(6)}; query ${s.queryId}`;
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function listQueries(queries: readonly NamedQuery[], format: Format): string {
  if (format === 'json') return JSON.stringify(queries.map(({ name, description, params, chart }) => ({ name, description, params, chart: chart ?? null })), null, 2);
  return formatTable(
    queries.map((q) => ({
      name: q.name,
      description: q.description,
      parameters: [...new Set(q.params.map((p) => p.name))].join(', '),
      chart: q.chart ? 'yes' : '',
    })),
  );
}

function describeQuery(q: NamedQuery): string {
  const seen = new Set<string>();
  const params = q.params.filter((p) => !seen.has(p.name) && seen.add(p.name));
  return [
    `${q.name}: ${q.description}`,
    '',
    q.doc,
    '',
    formatTable(
      params.map((p) => ({
        parameter: p.name,
        type: p.type,
        default: p.default === undefined ? '(required)' : p.default === '' ? "''" : String(p.default),
        meaning: p.doc,
      })),
    ),
  ].join('\n');
}
