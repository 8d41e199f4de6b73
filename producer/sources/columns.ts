/**
 * Which column holds what: the header row of a daily-bar CSV mapped onto the roles the
 * producer needs. Common layouts are recognised without help (Kaggle's
 * `Index,Date,Open,High,Low,Close,Adj Close,Volume`, Yahoo's
 * `Date,Open,High,Low,Close,Adj Close,Volume`, `date,open,high,low,close,volume,Name`,
 * Stooq's `<TICKER>,<DATE>,<OPEN>...`); anything else is mapped with
 * `--map symbol=Ticker,date=Day,...`, which also overrides a guess. Pure.
 */

export const ROLES = ['symbol', 'date', 'open', 'high', 'low', 'close', 'volume', 'exchange', 'currency'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a file must provide (symbol may come from --symbol or the file name instead). */
export const REQUIRED_ROLES: readonly Role[] = ['date', 'open', 'high', 'low', 'close'];

/**
 * Header names each role is recognised by, best first, compared after `normalizeHeader`.
 * `Adj Close` is deliberately absent: the bar's own close is what its high and low bound.
 */
const ALIASES: Record<Role, readonly string[]> = {
  symbol: ['symbol', 'ticker', 'index', 'sym', 'code', 'instrument', 'security', 'stock', 'name'],
  date: ['date', 'day', 'tradedate', 'tradingday', 'datetime', 'timestamp', 'time', 'dt'],
  open: ['open', 'openprice', 'opening', 'o'],
  high: ['high', 'highprice', 'h'],
  low: ['low', 'lowprice', 'l'],
  close: ['close', 'closeprice', 'closelast', 'last', 'c'],
  volume: ['volume', 'vol', 'totalvolume', 'qty', 'quantity', 'v'],
  exchange: ['exchange', 'mic', 'market'],
  currency: ['currency', 'ccy', 'curr'],
};

/** Column index of each role found; `undefined` when the file has no such column. */
export type ColumnMap = { readonly [R in Role]?: number };

/** A byte-order mark left in a header cell (`\uFEFF`, or `ï»¿` when it was encoded twice) removed. */
export function stripBomText(cell: string): string {
  return cell.replace(/^(\uFEFF|\u00EF\u00BB\u00BF)+/, '');
}

/**
 * Lower case, letters and digits only: `Adj Close` -> `adjclose`, `<TICKER>` -> `ticker`,
 * and a stray byte-order mark (`\uFEFF` or its double-encoded `ï»¿`) falls away.
 */
export function normalizeHeader(name: string): string {
  return stripBomText(name)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function isRole(name: string): name is Role {
  return (ROLES as readonly string[]).includes(name);
}

/**
 * Maps a header row. `explicit` (from --map) names columns by their header text; every
 * other role is guessed from the aliases. Throws with the header and the fix when a
 * required column is missing, a mapped column does not exist, or a role is unknown.
 */
export function mapColumns(
  header: readonly string[],
  explicit: Readonly<Record<string, string>> = {},
  options: { symbolFallback?: boolean } = {},
): ColumnMap {
  const normalized = header.map(normalizeHeader);
  const map: { [R in Role]?: number } = {};
  const taken = new Set<number>();

  for (const [role, column] of Object.entries(explicit)) {
    if (!isRole(role)) throw new Error(`--map: unknown role "${role}"; roles are ${ROLES.join(', ')}`);
    let index = header.findIndex((h) => h.trim() === column.trim());
    if (index < 0) index = normalized.indexOf(normalizeHeader(column));
    if (index < 0) throw new Error(`--map ${role}=${column}: no such column; the header is ${describeHeader(header)}`);
    map[role] = index;
    taken.add(index);
  }
  for (const role of ROLES) {
    if (map[role] !== undefined) continue;
    for (const alias of ALIASES[role]) {
      const index = normalized.findIndex((n, i) => n === alias && !taken.has(i));
      if (index >= 0) {
        map[role] = index;
        taken.add(index);
        break;
      }
    }
  }

  const missing = REQUIRED_ROLES.filter((r) => map[r] === undefined);
  if (map.symbol === undefined && !options.symbolFallback) missing.unshift('symbol');
  if (missing.length > 0) {
    throw new Error(
      `cannot find the ${missing.join(', ')} column${missing.length > 1 ? 's' : ''} in the header ${describeHeader(header)}; ` +
        `name them with --map, e.g. --map ${missing.map((r) => `${r}=<column>`).join(',')}`,
    );
  }
  return map;
}

export function describeHeader(header: readonly string[]): string {
  return header.map((h) => JSON.stringify(h)).join(',');
}

/** `symbol=Index date=Date ...` for the log line that says how a file was read. */
export function describeMap(header: readonly string[], map: ColumnMap): string {
  return ROLES.filter((r) => map[r] !== undefined)
    .map((r) => `${r}=${stripBomText(header[map[r]!]!)}`)
    .join(' ');
}
