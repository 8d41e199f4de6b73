/**
 * The named queries: `analytics/queries/<name>.sql`, one question each, in SQL that runs
 * unchanged on Athena (Trino) and DuckDB. A file starts with a comment header:
 *
 *   -- One line that says what the query answers          (the Athena named query's description)
 *   -- more lines of explanation ...
 *   -- @param <name> <type> [default <value>] [min <n>] <doc>   one per `?`, in order
 *   -- @chart <kind> time=<column> [series=<col>,<col>]        optional: how to draw it
 *
 * Parameters are positional (`?`), because that is what both engines bind: Athena's
 * ExecutionParameters and DuckDB's prepared statements. A name may be declared twice when
 * a value is needed at two places; the two declarations must agree on the type. The file
 * is checked when loaded: a `?` without a declaration, or a declaration without its `?`,
 * is an error, so a query cannot run with its parameters shifted by one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARAM_TYPES, ParamError, parseParam, type ParamDecl, type ParamType } from './params.js';

export const QUERIES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'queries');

export type ChartKind = 'candlestick' | 'line';

export interface ChartSpec {
  readonly kind: ChartKind;
  /** Column holding the x axis (a timestamp or a YYYY-MM-DD day). */
  readonly time: string;
  /** Value columns drawn as lines (line charts). */
  readonly series: readonly string[];
}

export interface NamedQuery {
  /** File name without `.sql`: the name users type and Athena registers. */
  readonly name: string;
  /** First comment line. */
  readonly description: string;
  /** The rest of the header comment, as text. */
  readonly doc: string;
  /** One declaration per `?`, in the order the `?` appear. */
  readonly params: readonly ParamDecl[];
  readonly chart?: ChartSpec;
  /** The SQL sent to the engines: the file without its header comment. */
  readonly sql: string;
  readonly path?: string;
}

export class QueryFileError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'QueryFileError';
  }
}

/** Parses the text of one query file. Pure: the file name only labels errors. */
export function parseQueryFile(name: string, text: string, path?: string): NamedQuery {
  const file = path ?? `${name}.sql`;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let i = 0;
  const header: string[] = [];
  while (i < lines.length && (lines[i]!.trim().startsWith('--') || (header.length > 0 && lines[i]!.trim() === ''))) {
    if (lines[i]!.trim() !== '') header.push(lines[i]!.trim().replace(/^--\s?/, ''));
    i++;
  }
  const description = header[0]?.trim();
  if (!description || description.startsWith('@')) throw new QueryFileError(file, 'must start with a one-line `-- description` comment');

  const params: ParamDecl[] = [];
  let chart: ChartSpec | undefined;
  const docLines: string[] = [];
  for (const line of header.slice(1)) {
    if (line.startsWith('@param')) params.push(parseParamLine(file, line, params));
    else if (line.startsWith('@chart')) chart = parseChartLine(file, line);
    else if (line.startsWith('@')) throw new QueryFileError(file, `unknown header tag: ${line}`);
    else docLines.push(line);
  }
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (sql === '') throw new QueryFileError(file, 'has no SQL after its header');
  if (/;/.test(stripLiteralsAndComments(sql))) throw new QueryFileError(file, 'must hold exactly one statement');
  const placeholders = countPlaceholders(sql);
  if (placeholders !== params.length) {
    throw new QueryFileError(file, `has ${placeholders} ? placeholder(s) but declares ${params.length} @param line(s); declare one per ?, in order`);
  }
  return {
    name,
    description,
    doc: docLines.join('\n').trim(),
    params,
    ...(chart ? { chart } : {}),
    sql,
    ...(path ? { path } : {}),
  };
}

const PARAM_LINE = /^@param\s+([A-Za-z_][A-Za-z0-9_]*)\s+(\S+)((?:\s+(?:default\s+(?:'(?:[^']|'')*'|\S+)|min\s+-?\d+(?:\.\d+)?))*)\s*(.*)$/;

function parseParamLine(file: string, line: string, earlier: readonly ParamDecl[]): ParamDecl {
  const m = PARAM_LINE.exec(line);
  if (!m) throw new QueryFileError(file, `cannot read parameter line: ${line}`);
  const [, name, type, options, doc] = m as unknown as [string, string, string, string, string];
  if (!(PARAM_TYPES as readonly string[]).includes(type)) {
    throw new QueryFileError(file, `parameter ${name} has unknown type ${type} (one of ${PARAM_TYPES.join(', ')})`);
  }
  const min = /\bmin\s+(-?\d+(?:\.\d+)?)/.exec(options)?.[1];
  const defaultText = /\bdefault\s+('(?:[^']|'')*'|\S+)/.exec(options)?.[1];
  const decl = { name, type: type as ParamType, doc: doc.trim(), ...(min !== undefined ? { min: Number(min) } : {}) };
  let value;
  if (defaultText !== undefined) {
    const text = defaultText.startsWith("'") ? defaultText.slice(1, -1).replaceAll("''", "'") : defaultText;
    try {
      value = parseParam(decl, text);
    } catch (err) {
      if (err instanceof ParamError) throw new QueryFileError(file, `bad default: ${err.message}`);
      throw err;
    }
  }
  const previous = earlier.find((p) => p.name === name);
  if (previous && previous.type !== decl.type) {
    throw new QueryFileError(file, `parameter ${name} is declared twice with different types`);
  }
  return { ...decl, ...(value !== undefined ? { default: value } : previous?.default !== undefined ? { default: previous.default } : {}) };
}

function parseChartLine(file: string, line: string): ChartSpec {
  const [, kind, ...rest] = line.split(/\s+/);
  if (kind !== 'candlestick' && kind !== 'line') throw new QueryFileError(file, `unknown chart kind ${kind} (candlestick or line)`);
  const opts = Object.fromEntries(rest.map((r) => r.split('=') as [string, string]));
  if (!opts.time) throw new QueryFileError(file, '@chart needs time=<column>');
  const series = opts.series ? opts.series.split(',').filter(Boolean) : [];
  if (kind === 'line' && series.length === 0) throw new QueryFileError(file, 'a line chart needs series=<column>[,<column>]');
  return { kind, time: opts.time, series };
}

/**
 * The SQL with string literals, quoted identifiers and comments blanked out, so that a `?`
 * or `;` inside them is not mistaken for a placeholder or a statement end.
 */
export function stripLiteralsAndComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"') {
      // A quote inside is written doubled ('' or ""), which this loop reads as close + open.
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end + 1;
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function countPlaceholders(sql: string): number {
  return (stripLiteralsAndComments(sql).match(/\?/g) ?? []).length;
}

/** Every query of a folder, by name, sorted. */
export function loadQueries(dir = QUERIES_DIR): NamedQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      return parseQueryFile(basename(f, '.sql'), readFileSync(path, 'utf8'), path);
    });
}

export function findQuery(name: string, dir = QUERIES_DIR): NamedQuery {
  const all = loadQueries(dir);
  const found = all.find((q) => q.name === name);
  if (!found) throw new ParamError(`no query named ${JSON.stringify(name)}; the queries are: ${all.map((q) => q.name).join(', ')}`);
  return found;
}
