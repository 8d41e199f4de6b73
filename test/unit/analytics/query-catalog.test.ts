import { expect } from 'chai';
import { countPlaceholders, loadQueries, parseQueryFile, stripLiteralsAndComments } from '../../../analytics/query-catalog.js';

const HEADER = `-- Bars of a symbol
--
-- Longer text.
--
-- @param interval interval default 5m      bar length
-- @param symbol   string   default ''      one symbol, or '' for all
-- @param note     string   default 'it''s' a default with a quote
-- @param from     date                     first day
-- @chart candlestick time=bar_start
`;

describe('query files', () => {
  it('reads the description, the documentation, typed parameters in order and the chart', () => {
    const q = parseQueryFile('bars', `${HEADER}SELECT ?, ?, ?, ? FROM ticks`);
    expect(q.description).to.equal('Bars of a symbol');
    expect(q.doc).to.equal('Longer text.');
    expect(q.params.map((p) => [p.name, p.type, p.default])).to.deep.equal([
      ['interval', 'interval', 300],
      ['symbol', 'string', ''],
      ['note', 'string', "it's"],
      ['from', 'date', undefined],
    ]);
    expect(q.params[0]!.doc).to.equal('bar length');
    expect(q.chart).to.deep.equal({ kind: 'candlestick', time: 'bar_start', series: [] });
    expect(q.sql).to.equal('SELECT ?, ?, ?, ? FROM ticks');
  });

  it('refuses a file whose placeholders and declarations do not pair up', () => {
    expect(() => parseQueryFile('x', `${HEADER}SELECT ?, ?, ? FROM ticks`)).to.throw(/3 \? placeholder\(s\) but declares 4/);
    expect(() => parseQueryFile('x', `${HEADER}SELECT ?, ?, ?, ?, ? FROM ticks`)).to.throw(/5 \? placeholder/);
  });

  it('does not count a ? inside a string, a quoted name or a comment', () => {
    const sql = `SELECT '?', "a?b", 'it''s ?' -- why?\n /* ? */ , ? FROM t`;
    expect(countPlaceholders(sql)).to.equal(1);
    expect(stripLiteralsAndComments(`SELECT ';' -- ;\n`)).not.to.contain(';');
  });

  it('refuses files without a description, with two statements, unknown types or tags, and bad defaults', () => {
    expect(() => parseQueryFile('x', 'SELECT 1')).to.throw(/description/);
    expect(() => parseQueryFile('x', '-- d\nSELECT 1; SELECT 2')).to.throw(/exactly one statement/);
    expect(() => parseQueryFile('x', '-- d\n-- @param a uuid\nSELECT ?')).to.throw(/unknown type uuid/);
    expect(() => parseQueryFile('x', '-- d\n-- @owner me\nSELECT 1')).to.throw(/unknown header tag/);
    expect(() => parseQueryFile('x', '-- d\n-- @param a date default 2021-02-30 x\nSELECT ?')).to.throw(/bad default/);
    expect(() => parseQueryFile('x', '-- d\n-- @chart pie time=t\nSELECT 1')).to.throw(/unknown chart kind/);
  });

  it('lets a name repeat for a value used twice, with one type', () => {
    const q = parseQueryFile('x', '-- d\n-- @param s string default \'\' sym\n-- @param s string\nSELECT ? = ?');
    expect(q.params.map((p) => p.default)).to.deep.equal(['', '']);
    expect(() => parseQueryFile('x', '-- d\n-- @param s string\n-- @param s integer\nSELECT ?, ?')).to.throw(/different types/);
  });

  it('every shipped query loads, says what it answers and reads only the catalog tables', () => {
    const queries = loadQueries();
    expect(queries.map((q) => q.name)).to.include.members([
      'ohlcv', 'vwap', 'returns_volatility', 'top_movers', 'max_drawdown', 'ma_crossovers', 'volume_spikes', 'data_quality',
    ]);
    for (const q of queries) {
      expect(q.description.length, q.name).to.be.within(10, 120);
      const tables = [...stripLiteralsAndComments(q.sql).matchAll(/\b(?:FROM|JOIN)\s+([a-z_0-9]+)/gi)].map((m) => m[1]!);
      const ctes = [...stripLiteralsAndComments(q.sql).matchAll(/(?:WITH|,)\s*([a-z_0-9]+) AS \(/gi)].map((m) => m[1]!);
      expect(tables.filter((t) => !ctes.includes(t)), q.name).to.satisfy((ts: string[]) => ts.every((t) => t === 'ticks' || t === 'bars_1m'));
      // Constructs one of the two engines lacks: DuckDB-only casts and literals, Trino-only functions.
      expect(stripLiteralsAndComments(q.sql), q.name).not.to.match(/::|\bQUALIFY\b|\bapprox_percentile\b|\bfrom_unixtime\b|\bto_timestamp\b|\bepoch\(/i);
    }
  });
});
