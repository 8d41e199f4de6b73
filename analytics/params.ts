/**
 * Query parameters: their declared types, how a user's text becomes a typed value, and how
 * a value is handed to each engine. Values never become part of the SQL text on our side:
 * DuckDB receives them through a prepared statement, Athena through ExecutionParameters
 * (see `athenaLiteral` for the one place where Athena's API wants them as literals).
 */

export const PARAM_TYPES = ['string', 'date', 'integer', 'number', 'interval'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** What a typed value is in JavaScript: text for string/date, a number otherwise. */
export type ParamValue = string | number;

export interface ParamDecl {
  readonly name: string;
  readonly type: ParamType;
  /** Parsed default; undefined makes the parameter required. */
  readonly default?: ParamValue;
  /** Smallest allowed value of a numeric parameter. */
  readonly min?: number;
  readonly doc: string;
}

/** A value in the position of one `?` of the query. */
export interface BoundParam {
  readonly name: string;
  readonly type: ParamType;
  readonly value: ParamValue;
}

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

const INTERVAL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Parses user text (a flag, an environment value, a default in a query file) into the
 * declared type, or throws a ParamError naming the parameter and what it expected.
 */
export function parseParam(decl: Pick<ParamDecl, 'name' | 'type' | 'min'>, text: string): ParamValue {
  const bad = (expected: string): never => {
    throw new ParamError(`parameter ${decl.name}: expected ${expected}, got ${JSON.stringify(text)}`);
  };
  let value: ParamValue;
  switch (decl.type) {
    case 'string':
      // Control characters have no business in a symbol and make logs and literals ambiguous.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(text)) bad('text without control characters');
      if (text.length > 256) bad('at most 256 characters');
      return text;
    case 'date': {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) bad('a date YYYY-MM-DD');
      const d = new Date(`${text}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) bad('a calendar date YYYY-MM-DD');
      return text;
    }
    case 'integer':
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) bad('an integer');
      value = Number(text);
      break;
    case 'number':
      if (text.trim() === '' || !Number.isFinite(Number(text))) bad('a number');
      value = Number(text);
      break;
    case 'interval': {
      const m = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
      if (!m) bad('a duration such as 60, 30s, 5m, 1h or 1d');
      value = Number(m![1]) * INTERVAL_UNITS[(m![2] || 's').toLowerCase()]!;
      if (!Number.isSafeInteger(value) || value <= 0) bad('a positive duration');
      break;
    }
  }
  if (decl.min !== undefined && (value as number) < decl.min) {
    throw new ParamError(`parameter ${decl.name}: expected a value >= ${decl.min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * The value of every `?` of a query, in order: the user's values (text, by parameter name)
 * over the declared defaults. Unknown names and missing required values are errors, so a
 * typo never silently runs the query with a default.
 */
export function bindParams(
  queryName: string,
  positional: readonly ParamDecl[],
  given: Readonly<Record<string, string | undefined>>,
): BoundParam[] {
  const declared = new Map(positional.map((d) => [d.name, d]));
  const unknown = Object.keys(given).filter((k) => given[k] !== undefined && !declared.has(k));
  if (unknown.length > 0) {
    const known = [...declared.keys()].join(', ') || 'none';
    throw new ParamError(`query ${queryName} has no parameter ${unknown.join(', ')} (its parameters: ${known})`);
  }
  const values = new Map<string, ParamValue>();
  for (const decl of declared.values()) {
    const text = given[decl.name];
    if (text !== undefined) values.set(decl.name, parseParam(decl, text));
    else if (decl.default !== undefined) values.set(decl.name, decl.default);
    else throw new ParamError(`query ${queryName} needs parameter ${decl.name} (${decl.doc})`);
  }
  return positional.map((d) => ({ name: d.name, type: d.type, value: values.get(d.name)! }));
}

/**
 * A parameter as Athena's ExecutionParameters want it. Athena substitutes each value for
 * its `?` as a SQL literal (a string must arrive quoted), so this is the escaping boundary:
 * strings are single-quoted with embedded quotes doubled, which makes any text one string
 * literal; numbers were validated as finite numbers and are written in a form Trino parses
 * as a number (never `1e+21` style or `NaN`).
 */
export function athenaLiteral(p: BoundParam): string {
  switch (p.type) {
    case 'string':
    case 'date':
      return `'${String(p.value).replaceAll("'", "''")}'`;
    case 'integer':
    case 'interval':
      if (!Number.isSafeInteger(p.value)) throw new ParamError(`parameter ${p.name}: ${p.value} is not an integer`);
      return String(p.value);
    case 'number': {
      const n = p.value as number;
      if (!Number.isFinite(n)) throw new ParamError(`parameter ${p.name}: ${n} is not a finite number`);
      // DOUBLE literal: digits, a point, digits, an exponent (Trino reads 1.5 as DECIMAL).
      return n.toExponential().replace('e', 'E');
    }
  }
}
